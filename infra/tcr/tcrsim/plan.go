package tcrsim

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// plan collects the webhooks a request causes, each after the one before it
// plus its step's delay.
type plan struct {
	s      *Simulator
	r      request
	offset time.Duration
	events []*event
}

func (s *Simulator) plan(r request) *plan { return &plan{s: s, r: r} }

// then adds e after the step's delay, with the event id of its place in the
// plan and the time it happens.
func (p *plan) then(step Step, e tcr.WebhookEvent) {
	p.offset += p.s.rnd.between(p.s.cfg.Latencies[step])
	e.EventID = eventID(p.r, step, len(p.events))
	e.Timestamp = p.r.now.Add(p.offset).UTC()
	p.events = append(p.events, &event{webhook: e, step: step, after: p.offset})
}

// eventID is the webhook event id of the decision at position (from 0) in the
// plan of r, at step: the hex form of the first 16 bytes of the sha256 of r's
// endpoint, record id and identity, the step and the position. It draws
// nothing random, so that a status look-up lists a decision under the id its
// webhook carries; a repeat of r is answered from memory, so its webhooks
// keep their ids too.
func eventID(r request, step Step, position int) string {
	h := sha256.New()
	for _, part := range []string{r.endpoint, r.id, r.identity(), string(step), strconv.Itoa(position)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
