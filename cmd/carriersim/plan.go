package main

import (
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// plan collects the webhooks a request causes, each after the one before it
// plus its step's delay.
type plan struct {
	s      *sim
	now    time.Time
	offset time.Duration
	events []*event
}

func (s *sim) plan(r request) *plan { return &plan{s: s, now: r.now} }

// then adds e after the step's delay, with a fresh event id and the time it
// happens.
func (p *plan) then(step Step, e tcr.WebhookEvent) {
	p.offset += p.s.rnd.between(p.s.cfg.Latencies[step])
	e.EventID = p.s.rnd.id(32)
	e.Timestamp = p.now.Add(p.offset).UTC()
	p.events = append(p.events, &event{webhook: e, step: step, after: p.offset})
}
