# tendlc build. Every target is phony; downloaded tools and emulator state live in .tools/.
#
#   make run             the system with a demo load on the local stack, until Ctrl-C
#   make demo            the same demo without a terminal: exits non-zero unless every campaign ends
#   make install         install the pinned local emulators and the Go dependencies of both modules
#   make build           build every binary into bin/, regtemporal (the temporal/ module) included
#   make up / down       start / stop the local stack of `make run` (SQS :9324, DynamoDB :8000)
#   make test            go vet and go test against a private stack (SQS :19324, DynamoDB :18000),
#                        then the temporal/ module's (embedded Temporal servers on free ports)
#   make bench           the bench scenario (40 campaigns, faults of every kind, replica kills; under
#                        3 minutes) on the bench stack: prints summary.md, report in reports/bench-<time>/
#   make compare         the bench and ceiling profiles on both systems (legacy: this repository's regd on
#                        SQS and DynamoDB; temporal: regtemporal on its embedded server), then the two
#                        comparison pages (under 10 minutes): reports/compare-<time>/{bench,ceiling}/compare.md
#   make compare-rollout the rollout profile (a rolling deploy of flow v2, issue 18) on both systems, then its
#                        comparison page: reports/compare-<time>/rollout/compare.md
#   make compare-hybrid  the hybrid profile (issue 19: the evidence review delegated to Temporal) on the legacy,
#                        Temporal and hybrid systems, then the three-column page: reports/compare-<time>/hybrid/
#   make bench-consumer  consumer benchmark against a private stack (SQS :29324, DynamoDB :28000)
#   make bench-webhook   webhook shim load test (2,000 signed webhooks, 16 senders) on the bench stack
#   make lambda          the webhook shim for AWS Lambda (provided.al2023, arm64): dist/webhook-lambda.zip
#   make fuzz            each fuzz target for FUZZTIME (default 30s); make test runs each for 3s
#
# The test and bench stacks are started for the target and always stopped after
# it (success, failure or Ctrl-C); they never touch the stack of `make up`.
#
# temporal/ is a Go module of its own (the Temporal side of the comparison, issue 17),
# so that the baseline's module and binaries do not carry the Temporal server: build,
# test and install run the go commands in both modules. The recipes enter it in a
# subshell, since each recipe is one shell (.ONESHELL).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
# One shell per recipe, so a recipe's trap covers all of its lines.
.ONESHELL:
.DEFAULT_GOAL := test
MAKEFLAGS += --no-builtin-rules

stack := infra/local/stack.sh
TEST_TIMEOUT ?= 10m
GOTESTFLAGS ?=
FUZZTIME ?= 30s

# package:target of every fuzz target (the decoders of untrusted input).
fuzz_targets := ./statemachine:FuzzDecodeEnvelope ./retry:FuzzDecodeAttrs ./infra/tcr:FuzzParseRetryAfter

# fuzz-each TIME: run each fuzz target for TIME (go test fuzzes one target at a time).
define fuzz-each
for t in $(fuzz_targets); do go test -run='^$$' -fuzz="^$${t#*:}$$" -fuzztime=$(1) "$${t%%:*}"; done
endef

# with-stack NAME: the first lines of a recipe that runs against its own
# emulator stack. A lock makes a second `make test` wait rather than share the
# stack and stop it under the first. The EXIT trap stops the stack however the
# shell ends, and ignores further signals while it does; INT and TERM only make
# the shell exit (bash would otherwise carry on with the next line), which runs
# it once. Before the stack, it stops any process regbench left in
# .tools/run/procs-NAME (regbench stops its own; this covers a regbench that
# was killed). The servers do not inherit the lock's descriptor.
define with-stack
mkdir -p .tools/run
exec 9>.tools/run/$(1).lock
flock -n 9 || { echo "make: waiting for another target using the $(1) stack" >&2; flock 9; }
trap 'trap "" INT TERM; $(stack) stop-pids .tools/run/procs-$(1); STACK=$(1) $(stack) down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
STACK=$(1) $(stack) up 9>&-
eval "$$(STACK=$(1) $(stack) env)"
endef

.PHONY: run demo install build up down test fuzz bench-consumer bench-webhook lambda bench compare compare-rollout compare-hybrid

# The demo: 20 brands, 40 campaigns of 3 numbers, 2 regd replicas, carriersim
# and the webhook shim, on the stack of `make up`, with prefix tendlc- so that
# regctl needs no flags. run keeps serving after the load finished.
demo_args = --profile demo --prefix tendlc-

run: build
	@$(call with-stack,run)
	bin/regctl provision >/dev/null
	bin/regbench run $(demo_args) --serve --base-port 9000 --dir .tools/run/procs-run

demo: build
	@$(call with-stack,demo)
	bin/regbench run $(demo_args) --base-port 27000 --dir .tools/run/procs-demo

build:
	go build -o bin/ ./cmd/...
	(cd temporal && go build -o ../bin/ ./cmd/...)

install:
	$(stack) install
	go mod download
	(cd temporal && go mod download)

up:
	STACK=run $(stack) up

down:
	STACK=run $(stack) down

test:
	@$(call with-stack,test)
	export TENDLC_REQUIRE_EMULATORS=1 TENDLC_REQUIRE_TEMPORAL=1
	go vet ./...
	go test -count=1 -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) ./...
	(cd temporal && go vet ./... && go test -count=1 -timeout $(TEST_TIMEOUT) $(GOTESTFLAGS) ./...)
	$(call fuzz-each,3s)

fuzz:
	$(call fuzz-each,$(FUZZTIME))

bench-consumer:
	@$(call with-stack,bench)
	go run ./cmd/regbench consumer

bench-webhook: build
	@$(call with-stack,bench)
	bin/regbench webhook --dir .tools/run/procs-bench

# The deployment package the CloudFormation stack's CodeBucket/CodeKey point at:
# a zip holding the executable bootstrap (the shim runs as a Lambda function
# when named so), built without the RPC mode provided.al2023 does not use.
lambda:
	command -v zip >/dev/null || { echo "make lambda: installing zip with apt-get" >&2; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zip >/dev/null; }
	mkdir -p dist
	rm -f dist/bootstrap dist/webhook-lambda.zip
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -trimpath -ldflags "-s -w" -o dist/bootstrap ./cmd/webhook
	zip -q -j -X dist/webhook-lambda.zip dist/bootstrap
	zipinfo dist/webhook-lambda.zip

# The scenario runner's short default on the bench stack: report.json, summary.md
# and the charts in reports/bench-<UTC time>/; the README lists the longer profiles.
bench: build
	@$(call with-stack,bench)
	bin/regbench run --profile bench --base-port 29000 --dir .tools/run/procs-bench

# The comparison of issue 17: each profile on both systems, one after the
# other on the compare stack (the emulators are measured as the legacy
# side's backing services; the Temporal side's server is its own), each
# run's output in its .log beside its report, then the ceiling's page and the
# bench's, printed. It exits non-zero when a run failed (a campaign stuck or
# lost, a checker violation), after the pages.
compare_runs := legacy-bench temporal-bench legacy-ceiling temporal-ceiling

# compare-each TARGET,RUNS: the lines of a comparison's recipe that make a
# directory $out of reports/compare-<time> and run each SYSTEM-PROFILE of
# RUNS into $out/SYSTEM-PROFILE, its output in its .log; rc is 1 when a run
# failed.
define compare-each
out=reports/compare-$$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$$out"
rc=0
for run in $(2); do
	system=$${run%%-*} profile=$${run#*-} extra=()
	if [ "$$system" != temporal ]; then
		extra=(--service sqs=.tools/run/compare/fauxqs.pid --service dynamodb=.tools/run/compare/dynamodb.pid)
	fi
	echo "make $(1): $$system, profile $$profile ..."
	if bin/regbench run --system "$$system" --profile "$$profile" --base-port 30000 --dir .tools/run/procs-compare \
		--out "$$out/$$run" "$${extra[@]}" >"$$out/$$run.log" 2>&1; then
		echo "make $(1): $$system, profile $$profile: passed ($$out/$$run)"
	else
		rc=1
		echo "make $(1): $$system, profile $$profile: FAILED, see $$out/$$run.log"
	fi
done
endef

compare: build
	@$(call with-stack,compare)
	$(call compare-each,compare,$(compare_runs))
	bin/regbench compare --out "$$out/ceiling" "$$out/legacy-ceiling" "$$out/temporal-ceiling" || rc=1
	bin/regbench compare --out "$$out/bench" "$$out/legacy-bench" "$$out/temporal-bench" || rc=1
	exit $$rc

# Issue 18's comparison: the rollout profile (a rolling deploy of flow v2
# under load and faults) on both systems, on the compare stack, then its
# page, printed: reports/compare-<time>/rollout/compare.md. Apart from
# compare, which it would take past 12 minutes.
compare-rollout: build
	@$(call with-stack,compare)
	$(call compare-each,compare-rollout,legacy-rollout temporal-rollout)
	bin/regbench compare --out "$$out/rollout" "$$out/legacy-rollout" "$$out/temporal-rollout" || rc=1
	exit $$rc

# Issue 19's comparison: the hybrid profile on the legacy system, the
# Temporal one and the hybrid of both (the evidence review handed to a
# workflow through the bridge), then the three-column page:
# reports/compare-<time>/hybrid/compare.md.
compare-hybrid: build
	@$(call with-stack,compare)
	$(call compare-each,compare-hybrid,legacy-hybrid temporal-hybrid hybrid-hybrid)
	bin/regbench compare --out "$$out/hybrid" "$$out/legacy-hybrid" "$$out/temporal-hybrid" "$$out/hybrid-hybrid" || rc=1
	exit $$rc
