package main

import (
	"flag"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/metrics"
)

// sendFaults are the faults --faults injects into the sends of results to
// the legacy events queue, as regd's --faults does into its own sends: the
// result event duplicated or delayed.
type sendFaults struct{ spec string }

// flags adds --faults to fs.
func (f *sendFaults) flags(fs *flag.FlagSet) {
	fs.StringVar(&f.spec, "faults", envOr("TENDLC_FAULTS", ""), "inject `faults` into the sends to the legacy events queue, for benchmarks: dup-send=P,delay-send=P,max-delay=D,seed=N (regd's --faults, its send faults; env TENDLC_FAULTS)")
}

// check returns the configuration --faults says, or what is wrong with it.
func (f sendFaults) check() (fault.Config, error) {
	c, err := fault.Parse(f.spec)
	if err == nil {
		err = c.Only(fault.DuplicatedSends, fault.DelayedSends)
	}
	if err != nil {
		return c, fmt.Errorf("--faults: %w", err)
	}
	return c, nil
}

// withSendFaults returns api with cfg's faults injected into its sends, their counts
// reported on reg as regd reports its own (tendlc_faults_injected_total);
// api itself when cfg injects none.
func withSendFaults(api *sqs.Client, cfg fault.Config, reg prometheus.Registerer) (*sqs.Client, error) {
	if !cfg.Enabled() {
		return api, nil
	}
	inj := fault.New(cfg)
	if err := reg.Register(metrics.Faults(inj.Counts)); err != nil {
		return nil, fmt.Errorf("register the fault counts: %w", err)
	}
	return sqs.New(api.Options(), inj.SQS()), nil
}
