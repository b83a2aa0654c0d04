package retry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tendlc/tendlc/handlers"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// TestRollingDeployDefersWhatANewerBuildWrote plays a rolling deploy: this
// build (v1) reads the envelopes under testdata/envelopes as a v1 build and a
// hypothetical v2 build wrote them. Its own are applied; a v2 envelope (a
// higher schema version, or fields v1 does not know) is deferred so that a v2
// replica takes it on redelivery, and only once the deferral budget is spent
// is it dead-lettered, as unsupported_version with an error saying why. Malformed input is dead-lettered
// at once.
func TestRollingDeployDefersWhatANewerBuildWrote(t *testing.T) {
	tests := []struct {
		file      string
		deferrals int    // deferred copies before the dead letter; -1: applied
		reason    string // dead-letter reason
		error     string // the dead letter's error text
	}{
		{file: "v1-brand-register.json", deferrals: -1},
		{file: "v2-schema-version.json", deferrals: testPolicy.MaxDeferrals, reason: "reason=unsupported_version;class=deferred",
			error: "deferred: schema version 2, this build reads 1"},
		{file: "v2-unknown-fields.json", deferrals: testPolicy.MaxDeferrals, reason: "reason=unsupported_version;class=deferred",
			error: "deferred: unknown fields: payload.dba_name, tenant"},
		{file: "malformed-invalid-json.json", reason: "reason=malformed", error: "malformed envelope"},
		{file: "malformed-wrong-type.json", reason: "reason=malformed", error: "malformed envelope"},
		{file: "malformed-missing-field.json", reason: "reason=malformed", error: "event_id is empty"},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json"), func(t *testing.T) {
			g := newRig(t, testPolicy, maxRand{})
			store, sent := &records{}, &sentMessages{}
			d, err := handlers.NewDispatcher(handlers.DispatcherConfig{Store: store, Sender: sent, Now: g.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			h := g.handler(d.Handle)
			m := fromFile(t, tt.file)
			if tt.deferrals < 0 {
				if err := h(t.Context(), m); err != nil {
					t.Fatal(err)
				}
				if g.queues.count() != 0 || store.n() != 1 || sent.n() != 1 {
					t.Errorf("copies %d, records %d, follow-ups %d: want 0, 1 and 1", g.queues.count(), store.n(), sent.n())
				}
				return
			}
			for i := range tt.deferrals + 1 {
				if err := h(t.Context(), m); err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
				in := g.queues.last(t)
				if i < tt.deferrals {
					if got, want := retryAttrs(t, in).Deferrals, i+1; in.QueueURL != srcURL || got != want {
						t.Fatalf("delivery %d: copy to %s with %d deferrals, want a deferral (%d) on the source queue", i+1, in.QueueURL, got, want)
					}
					m = g.deliverCopy(t)
					continue
				}
				if got := in.QueueURL; got != dlqURL {
					t.Fatalf("delivery %d: sent to %s, want the dead-letter queue", i+1, got)
				}
				if got := attr(in, retry.AttrDeadLetter); !strings.HasPrefix(got, tt.reason) {
					t.Errorf("dead_letter %q, want it to start with %q", got, tt.reason)
				}
				if got := attr(in, retry.AttrDeadLetterError); !strings.Contains(got, tt.error) {
					t.Errorf("dead_letter_error %q, want it to say %q", got, tt.error)
				}
			}
			if store.n() != 0 || sent.n() != 0 {
				t.Errorf("records %d, follow-ups %d: want none", store.n(), sent.n())
			}
		})
	}
}

// fromFile returns a first delivery of the body in testdata/envelopes/name,
// with the message attributes its producer would set beside it.
func fromFile(tb testing.TB, name string) *message.Message {
	tb.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "envelopes", name))
	if err != nil {
		tb.Fatal(err)
	}
	var fields map[string]any
	_ = json.Unmarshal(body, &fields) // invalid JSON gets no attributes but its type
	attrs := map[string]string{statemachine.AttrEventType: "brand.register"}
	for attr, field := range map[string]string{statemachine.AttrEventType: "type", statemachine.AttrEventID: "event_id",
		statemachine.AttrEntityID: "entity_id", statemachine.AttrSchemaVersion: "schema_version"} {
		if v, ok := fields[field]; ok {
			attrs[attr] = fmt.Sprint(v)
		}
	}
	return &message.Message{ID: "orig-1", Queue: "events", QueueURL: srcURL, ReceiptHandle: "rh-1",
		Body: body, Attributes: attrs, ReceiveCount: 1, SentAt: t0}
}

// records is a handlers.Store that holds records in memory.
type records struct {
	mu   sync.Mutex
	recs map[string]statemachine.Record
}

func (s *records) n() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.recs) }

func (s *records) Get(_ context.Context, k statemachine.Kind, id string) (*statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[string(k)+"#"+id]
	if !ok {
		return nil, statemachine.ErrNotFound
	}
	return &r, nil
}

func (s *records) Transition(_ context.Context, prev *statemachine.Record, next statemachine.Record, _ statemachine.AuditEntry) (statemachine.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recs == nil {
		s.recs = map[string]statemachine.Record{}
	}
	if _, exists := s.recs[string(next.Kind)+"#"+next.ID]; exists != (prev != nil) {
		return statemachine.Record{}, &statemachine.ConflictError{Kind: next.Kind, ID: next.ID}
	}
	next.Version++
	s.recs[string(next.Kind)+"#"+next.ID] = next
	return next, nil
}

// Note refuses: these tests register brands, whose events are never notes.
func (s *records) Note(context.Context, statemachine.Record, statemachine.Note, statemachine.AuditEntry) error {
	return errors.New("records: a note on a store that keeps none")
}

func (s *records) ClearOutbox(context.Context, statemachine.Kind, string, string) error { return nil }

func (s *records) Children(context.Context, statemachine.Kind, string) ([]statemachine.Record, error) {
	return nil, nil
}

// sentMessages is a handlers.Sender that keeps what it sends.
type sentMessages struct {
	mu  sync.Mutex
	out []statemachine.Outgoing
}

func (s *sentMessages) n() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.out) }

func (s *sentMessages) Send(_ context.Context, out []statemachine.Outgoing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out = append(s.out, out...)
	return nil
}
