# tendlc build. Every target is phony; downloaded tools and emulator state live in .tools/.
#
#   make install         install the pinned local emulators and the Go modules
#   make up / down       start / stop the local stack of `make run` (SQS :9324, DynamoDB :8000)
#   make test            go vet and go test against a private stack (SQS :19324, DynamoDB :18000)
#   make bench-consumer  consumer benchmark against a private stack (SQS :29324, DynamoDB :28000)
#
# The test and bench stacks are started for the target and always stopped after
# it (success, failure or Ctrl-C); they never touch the stack of `make up`.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# One shell per recipe, so a recipe's trap covers all of its lines.
.ONESHELL:
.DEFAULT_GOAL := test
MAKEFLAGS += --no-builtin-rules

stack := infra/local/stack.sh
TEST_TIMEOUT ?= 5m
GOTESTFLAGS ?=

# with-stack NAME: the first lines of a recipe that runs against its own
# emulator stack. A lock makes a second `make test` wait rather than share the
# stack and stop it under the first. The EXIT trap stops the stack however the
# shell ends, and ignores further signals while it does; INT and TERM only make
# the shell exit (bash would otherwise carry on with the next line), which runs
# it once. The servers do not inherit the lock's descriptor.
define with-stack
mkdir -p .tools/run
exec 9>.tools/run/$(1).lock
flock -n 9 || { echo "make: waiting for another target using the $(1) stack" >&2; flock 9; }
trap 'trap "" INT TERM; STACK=$(1) $(stack) down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
STACK=$(1) $(stack) up 9>&-
eval "$$(STACK=$(1) $(stack) env)"
endef

.PHONY: install up down test bench-consumer

install:
	$(stack) install
	go mod download

up:
	STACK=run $(stack) up

down:
	STACK=run $(stack) down

test:
	@$(call with-stack,test)
	export TENDLC_REQUIRE_EMULATORS=1
	go vet ./...
	go test -count=1 -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) ./...

bench-consumer:
	@$(call with-stack,bench)
	go run ./cmd/regbench consumer
