package retry

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Policy bounds the retries of one event type. Failures and deferrals are
// counted apart: a deferral is not a failure, and an early carrier approval may
// wait hours for the reviewer without using up the attempts kept for outages.
//
// The delay before the next try is exponential backoff with full jitter: for
// the nth consecutive failure (or deferral), uniform in
// [0, min(Cap, Base·2^(n−1))].
type Policy struct {
	MaxAttempts  int           // attempts in all, the first included; the last failure dead-letters
	Base         time.Duration // backoff of the first retry
	Cap          time.Duration // longest backoff of a retry
	MaxDeferrals int           // deferrals allowed; the next one dead-letters
	DeferBase    time.Duration // backoff of the first deferral
	DeferCap     time.Duration // longest backoff of a deferral
}

// MaxBackoff is the longest backoff a policy may ask for. Waits beyond
// [MaxHop] travel in hops, so a day is 96 hops.
const MaxBackoff = 24 * time.Hour

// Policies is the policy table: one policy per event type that needs its own,
// and a default for the rest.
type Policies struct {
	Default Policy
	ByEvent map[statemachine.EventType]Policy
	// Client bounds the retries of a downstream's 4xx that refuses no
	// command ([ClassHTTPClient]), whatever the event: its MaxAttempts,
	// Base and Cap apply when that is the failure. Zero means the default,
	// 8 attempts, 30 s doubling to 15 min.
	Client Policy
	// NewerFlow bounds the deferrals of an event whose record or type
	// belongs to a newer flow than the replica that read it runs
	// (statemachine.ErrNewerFlow: a rolling deploy's version mix), whatever
	// the event: its MaxDeferrals, DeferBase and DeferCap apply, on a count
	// of their own (Attrs.FlowDeferrals), so the mix neither spends the
	// budget kept for early events nor waits out their growing backoff.
	// Zero means the default, 1440 deferrals of up to 10 s: about 2 h of a
	// fleet without a replica on the newer flow.
	NewerFlow Policy
}

// Named policies of the default table. The expected total wait is about half
// the sum of the backoff bounds, since full jitter draws uniformly below them.
var (
	// dispatchPolicy covers the events the dispatcher applies to records:
	// failures are DynamoDB throttles, conditional-write conflicts and brief
	// outages. 8 attempts, bounds 2 s doubling to 2 min: about 2 min in all
	// (at most 4). An event early for its record (out of order, or a lagging
	// read) waits seconds to minutes: 30 deferrals, 10 s doubling to 5 min,
	// about 1 h.
	dispatchPolicy = Policy{MaxAttempts: 8, Base: 2 * time.Second, Cap: 2 * time.Minute,
		MaxDeferrals: 30, DeferBase: 10 * time.Second, DeferCap: 5 * time.Minute}

	// downstreamPolicy covers the commands to the registry, the carriers and
	// the number service: rate limits (429 past 2 writes/s at the registry)
	// and outages that last longer. 12 attempts, 5 s doubling to 1 h: about
	// 70 min in all (at most 2.4 h).
	downstreamPolicy = Policy{MaxAttempts: 12, Base: 5 * time.Second, Cap: time.Hour,
		MaxDeferrals: 30, DeferBase: 10 * time.Second, DeferCap: 5 * time.Minute}

	// clientPolicy covers a downstream's 4xx that refuses no command (an
	// expired API key, a permission withdrawn, a wrong base path): an
	// operator's fix, which takes minutes to hours, while no registration
	// should fail for it. 8 attempts, 30 s doubling to 15 min: about 23 min
	// in all (at most 46), then a dead letter the operator re-drives once
	// the setup is fixed.
	clientPolicy = Policy{MaxAttempts: 8, Base: 30 * time.Second, Cap: 15 * time.Minute}

	// newerFlowPolicy covers the deferrals of a replica on an older flow
	// than the record or event (a rolling deploy that changes the flow):
	// another replica, on the newer flow, takes the copy as soon as it
	// comes back, so the delay stays short and flat (full jitter below
	// 10 s), and the budget outlasts a slow deploy or a rollback: 1440
	// deferrals, about 2 h with no replica on the newer flow at all.
	newerFlowPolicy = Policy{MaxAttempts: 1, MaxDeferrals: 1440, DeferBase: 10 * time.Second, DeferCap: 10 * time.Second}

	// brandWaitPolicy covers campaign.submit, deferred until the brand is
	// verified: minutes usually, up to a day with external vetting. 100
	// deferrals, 1 min doubling to 30 min: about 24 h.
	brandWaitPolicy = Policy{MaxAttempts: 8, Base: 2 * time.Second, Cap: 2 * time.Minute,
		MaxDeferrals: 100, DeferBase: time.Minute, DeferCap: 30 * time.Minute}

	// longWaitPolicy covers events that wait for a slow outside party: carrier
	// updates that arrive before the reviewer's approval is applied (manual
	// vetting takes hours), carrier suspensions that apply once the numbers
	// settled, a deregistration waiting for its registration to settle. 72
	// deferrals, 1 min doubling to 1 h: about 33 h.
	longWaitPolicy = Policy{MaxAttempts: 8, Base: 2 * time.Second, Cap: 2 * time.Minute,
		MaxDeferrals: 72, DeferBase: time.Minute, DeferCap: time.Hour}
)

// DefaultPolicies returns the default policy table, a fresh copy each call.
// [Policies.String] prints it; the package example shows it.
func DefaultPolicies() Policies {
	return Policies{
		Default:   dispatchPolicy,
		Client:    clientPolicy,
		NewerFlow: newerFlowPolicy,
		ByEvent: map[statemachine.EventType]Policy{
			statemachine.CampaignSubmit: brandWaitPolicy,

			statemachine.CampaignCarrierReview:      longWaitPolicy,
			statemachine.CampaignCarrierApproved:    longWaitPolicy,
			statemachine.CampaignCarrierRejected:    longWaitPolicy,
			statemachine.CampaignCarrierSuspended:   longWaitPolicy,
			statemachine.CampaignCarrierUnsuspended: longWaitPolicy,
			statemachine.NumberDeregister:           longWaitPolicy,

			statemachine.CmdSubmitBrand:      downstreamPolicy,
			statemachine.CmdRevetBrand:       downstreamPolicy,
			statemachine.CmdDeleteBrand:      downstreamPolicy,
			statemachine.CmdSubmitCampaign:   downstreamPolicy,
			statemachine.CmdSubmitEvidence:   downstreamPolicy,
			statemachine.CmdDeleteCampaign:   downstreamPolicy,
			statemachine.CmdCarrierSubmit:    downstreamPolicy,
			statemachine.CmdRegisterNumber:   downstreamPolicy,
			statemachine.CmdDeregisterNumber: downstreamPolicy,
		},
	}
}

// For returns the policy of event type t: its own, or the default.
func (p Policies) For(t statemachine.EventType) Policy {
	if pol, ok := p.ByEvent[t]; ok {
		return pol
	}
	return p.Default
}

// String prints the table, the default, client and newer-flow policies
// first, then the event types in order.
func (p Policies) String() string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "EVENT\tATTEMPTS\tBASE\tCAP\tDEFERRALS\tDEFER BASE\tDEFER CAP")
	row := func(name string, pol Policy) {
		fmt.Fprintf(w, "%s\t%d\t%v\t%v\t%d\t%v\t%v\n", name, pol.MaxAttempts, pol.Base, pol.Cap,
			pol.MaxDeferrals, pol.DeferBase, pol.DeferCap)
	}
	row("(default)", p.Default)
	row("(client 4xx)", p.Client)
	row("(newer flow)", p.NewerFlow)
	for _, t := range slices.Sorted(maps.Keys(p.ByEvent)) {
		row(string(t), p.ByEvent[t])
	}
	w.Flush()
	return b.String()
}

// validate collects every problem of the table.
func (p Policies) validate() error {
	errs := []error{p.Default.validate("default"), p.Client.validate("client"), p.NewerFlow.validate("newer flow")}
	for _, t := range slices.Sorted(maps.Keys(p.ByEvent)) {
		errs = append(errs, p.ByEvent[t].validate(string(t)))
	}
	return errors.Join(errs...)
}

// validate collects every problem of one policy, naming it.
func (p Policy) validate(name string) error {
	var errs []error
	if p.MaxAttempts < 1 || p.MaxAttempts > maxCount {
		errs = append(errs, fmt.Errorf("policy %s: MaxAttempts %d: want 1 to %d", name, p.MaxAttempts, maxCount))
	}
	if p.MaxAttempts > 1 {
		errs = append(errs, checkBackoff(name, "Base", "Cap", p.Base, p.Cap))
	}
	if p.MaxDeferrals < 0 || p.MaxDeferrals > maxCount {
		errs = append(errs, fmt.Errorf("policy %s: MaxDeferrals %d: want 0 to %d", name, p.MaxDeferrals, maxCount))
	}
	if p.MaxDeferrals > 0 {
		errs = append(errs, checkBackoff(name, "DeferBase", "DeferCap", p.DeferBase, p.DeferCap))
	}
	return errors.Join(errs...)
}

func checkBackoff(policy, baseName, capName string, base, limit time.Duration) error {
	switch {
	case base <= 0:
		return fmt.Errorf("policy %s: %s %v: want more than 0", policy, baseName, base)
	case limit < base:
		return fmt.Errorf("policy %s: %s %v: want at least %s %v", policy, capName, limit, baseName, base)
	case limit > MaxBackoff:
		return fmt.Errorf("policy %s: %s %v: want at most %v", policy, capName, limit, MaxBackoff)
	}
	return nil
}

// Rand is the random source of the jitter. *math/rand/v2.Rand satisfies it.
type Rand interface {
	// Int64N returns a uniform value in [0, n); n > 0.
	Int64N(n int64) int64
}

// backoff returns the full-jitter delay before the next try after the nth
// consecutive failure or deferral (n ≥ 1): uniform in [0, min(limit, base·2^(n−1))].
func backoff(base, limit time.Duration, n int, r Rand) time.Duration {
	bound := limit
	if shift := n - 1; shift < 62 && base <= limit>>shift {
		bound = base << shift
	}
	return time.Duration(r.Int64N(int64(bound) + 1))
}

// Scaled returns the policies with every delay multiplied by f, for runs
// whose time is compressed (benchmarks, demos). Attempt and deferral counts
// stay; SQS still rounds each delay up to a whole second.
func (p Policies) Scaled(f float64) Policies {
	scale := func(q Policy) Policy {
		for _, d := range []*time.Duration{&q.Base, &q.Cap, &q.DeferBase, &q.DeferCap} {
			*d = time.Duration(float64(*d) * f)
		}
		return q
	}
	out := Policies{Default: scale(p.Default), Client: scale(p.Client), NewerFlow: scale(p.NewerFlow),
		ByEvent: map[statemachine.EventType]Policy{}}
	for t, q := range p.ByEvent {
		out.ByEvent[t] = scale(q)
	}
	return out
}
