package main

import (
	"flag"
	"time"

	"github.com/tendlc/tendlc/sweeper"
)

// recoveryFlags are the flags of the commands that re-drive records: the
// recovery policy regd reads too, and the downstream and the bridge the
// look-ups ask.
type recoveryFlags struct {
	file        *string
	olderThan   *time.Duration
	maxRedrives *int
	maxChecks   *int
	downstream  *string
	bridge      *string
}

// addRecoveryFlags declares the recovery flags on fs.
func addRecoveryFlags(fs *flag.FlagSet, env *Env) *recoveryFlags {
	return &recoveryFlags{
		file: fs.String("recovery", env.Getenv("TENDLC_RECOVERY"),
			"recovery policy `file`, as regd reads it (env TENDLC_RECOVERY); default: the production policy"),
		olderThan: fs.Duration("older-than", 0,
			"one threshold `D` for every watched state, replacing the policy's per-state thresholds"),
		maxRedrives: fs.Int("max-redrives", 0, "re-drives that re-send before 30901 (default: the policy's)"),
		maxChecks:   fs.Int("max-checks", 0, "re-drives that find the downstream still deciding before 30901 (default: the policy's)"),
		downstream: fs.String("downstream-url", env.Getenv("TENDLC_DOWNSTREAM_URL"),
			"registry and carrier API base `URL` the look-ups ask before re-sending (env TENDLC_DOWNSTREAM_URL); without it, records waiting on a downstream are left alone"),
		bridge: fs.String("bridge-url", env.Getenv("TENDLC_BRIDGE_URL"),
			"the bridge's base `URL` (regtemporal bridge), which the look-ups of delegated steps ask (env TENDLC_BRIDGE_URL); without it, records waiting on a delegated step are left alone"),
	}
}

// policy resolves the policy the flags name, or returns a usage error.
func (f *recoveryFlags) policy() (sweeper.Policy, error) {
	if *f.olderThan < 0 || *f.maxRedrives < 0 || *f.maxChecks < 0 {
		return sweeper.Policy{}, usageErrorf("--older-than, --max-redrives and --max-checks must not be negative")
	}
	p, err := sweeper.ResolvePolicy(*f.file, *f.olderThan, *f.maxRedrives, *f.maxChecks)
	if err != nil {
		return sweeper.Policy{}, usageErrorf("--recovery: %v", err)
	}
	return p, nil
}
