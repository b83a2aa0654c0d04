module github.com/tendlc/tendlc/temporal

go 1.26.0

require (
	github.com/tendlc/tendlc v0.0.0
	go.temporal.io/sdk v1.35.0
	go.temporal.io/server v1.29.1
)

// The baseline's packages (statemachine, infra/tcr, sweeper, bench) come from
// the root module of this repository, never from a registry.
replace github.com/tendlc/tendlc => ../
