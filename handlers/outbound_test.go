package handlers

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

type fakeDownstream struct {
	ext   string
	err   error
	calls []statemachine.Envelope
}

func (f *fakeDownstream) Do(_ context.Context, cmd statemachine.Envelope) (string, error) {
	f.calls = append(f.calls, cmd)
	return f.ext, f.err
}

type fakeLimiter struct {
	waits   int
	backoff time.Duration
}

func (f *fakeLimiter) Wait(context.Context, string) (time.Duration, error) { f.waits++; return 0, nil }
func (f *fakeLimiter) Backoff(_ context.Context, _ string, d time.Duration) error {
	f.backoff = d
	return nil
}

// httpErr is a downstream's non-2xx answer, as infra/tcr.HTTPError presents it.
type httpErr struct {
	status, code int
	delay        time.Duration
}

func (e *httpErr) Error() string             { return "http error" }
func (e *httpErr) HTTPStatusCode() int       { return e.status }
func (e *httpErr) ReasonCode() int           { return e.code }
func (e *httpErr) RetryDelay() time.Duration { return e.delay }

func TestOutboundTurnsAnswersIntoEvents(t *testing.T) {
	submit := event(t, statemachine.CmdSubmitBrand, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"})
	carrier := event(t, statemachine.CmdCarrierSubmit, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT})
	timeout := &net.OpError{Op: "dial", Err: errors.New("i/o timeout")}
	tests := []struct {
		name        string
		cmd         statemachine.Envelope
		ext         string
		err         error
		wantErr     bool
		wantEvent   statemachine.EventType // "" for none
		wantCode    int
		wantBackoff time.Duration
		wantMarked  string // "mark kind/id to" recorded on the command's record; "" for none
		wantOutcome string // the call's outcome as the observer counts it
	}{
		{name: "accepted submission records the external id", cmd: submit, ext: "TCR-1", wantEvent: statemachine.BrandSubmitted, wantOutcome: OutcomeOK},
		{name: "accepted carrier submission waits for the webhook from now", cmd: carrier, wantMarked: "accepted campaign/c1 registry", wantOutcome: OutcomeOK},
		{name: "refusal with a code fails the brand", cmd: submit, err: &httpErr{status: 400, code: 30795}, wantEvent: statemachine.BrandFailed, wantCode: 30795, wantOutcome: OutcomeRefused},
		{name: "carrier refusal rejects the campaign", cmd: carrier, err: &httpErr{status: 422, code: 30899}, wantEvent: statemachine.CampaignCarrierRejected, wantCode: 30899, wantOutcome: OutcomeRefused},
		{name: "429 pushes the schedule back and retries", cmd: submit, err: &httpErr{status: 429, delay: 3 * time.Second}, wantErr: true, wantBackoff: 3 * time.Second,
			wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeLimited},
		{name: "5xx retries", cmd: submit, err: &httpErr{status: 503}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeFailed},
		{name: "a transport failure retries", cmd: submit, err: timeout, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeError},
		// A 4xx that carries no domain refusal blames the caller's setup, which
		// an operator fixes: no registration fails for it.
		{name: "401 retries", cmd: submit, err: &httpErr{status: 401}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeClientError},
		{name: "403 retries", cmd: carrier, err: &httpErr{status: 403}, wantErr: true, wantMarked: "attempted campaign/c1 registry", wantOutcome: OutcomeClientError},
		{name: "404 retries", cmd: submit, err: &httpErr{status: 404}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeClientError},
		{name: "409 retries", cmd: submit, err: &httpErr{status: 409}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeClientError},
		{name: "400 without a reason code retries", cmd: submit, err: &httpErr{status: 400}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeClientError},
		{name: "422 without a reason code retries", cmd: carrier, err: &httpErr{status: 422}, wantErr: true, wantMarked: "attempted campaign/c1 registry", wantOutcome: OutcomeClientError},
		{name: "401 with a reason code still retries", cmd: submit, err: &httpErr{status: 401, code: 30795}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeClientError},
		{name: "408 retries", cmd: submit, err: &httpErr{status: 408}, wantErr: true, wantMarked: "attempted brand/b1 registry", wantOutcome: OutcomeTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, lim, events, marks := &fakeDownstream{ext: tt.ext, err: tt.err}, &fakeLimiter{}, &memSender{}, &fakeLedger{}
			obs := &recordingOutboundObserver{}
			o, err := NewOutbound(OutboundConfig{Name: "registry", Downstream: ds, Limiter: lim, Events: events, Ledger: marks, Observer: obs})
			if err != nil {
				t.Fatal(err)
			}
			err = o.Handle(t.Context(), newMessage(t, tt.cmd))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if lim.waits != 1 || len(ds.calls) != 1 {
				t.Errorf("limiter waits %d, calls %d; want one each", lim.waits, len(ds.calls))
			}
			if lim.backoff != tt.wantBackoff {
				t.Errorf("backoff = %v, want %v", lim.backoff, tt.wantBackoff)
			}
			if got := strings.Join(marks.marked, ","); got != tt.wantMarked {
				t.Errorf("acceptance recorded on %q, want %q", got, tt.wantMarked)
			}
			if got := strings.Join(obs.outcomes, ","); got != tt.wantOutcome {
				t.Errorf("outcomes counted %q, want %q", got, tt.wantOutcome)
			}
			sent := events.take()
			if tt.wantEvent == "" {
				if len(sent) != 0 {
					t.Errorf("sent %v, want nothing", types(sent))
				}
				return
			}
			if len(sent) != 1 || sent[0].Envelope.Type != tt.wantEvent || sent[0].To != statemachine.ToEvents {
				t.Fatalf("sent %v, want one %s to the events queue", types(sent), tt.wantEvent)
			}
			ev := sent[0].Envelope
			if ev.EntityID != tt.cmd.EntityID || ev.CorrelationID != tt.cmd.CorrelationID {
				t.Errorf("answer for %s/%s, want the command's %s/%s", ev.EntityID, ev.CorrelationID, tt.cmd.EntityID, tt.cmd.CorrelationID)
			}
			if tt.wantCode != 0 {
				p, _ := statemachine.DecodePayload[struct {
					Code int `json:"code"`
				}](ev.Payload)
				if p.Code != tt.wantCode {
					t.Errorf("answer code = %d, want %d", p.Code, tt.wantCode)
				}
			}
		})
	}
}

// fakeLedger holds records and records the marks an Outbound sets on
// commands.
type fakeLedger struct {
	records map[string]*statemachine.Record // by id
	getErr  error
	marked  []string
}

func (f *fakeLedger) Get(_ context.Context, kind statemachine.Kind, id string) (*statemachine.Record, error) {
	if f.getErr != nil {
		return nil, f.getErr
	}
	if r, ok := f.records[id]; ok && r.Kind == kind {
		return r, nil
	}
	return nil, statemachine.ErrNotFound
}

func (f *fakeLedger) MarkAccepted(_ context.Context, kind statemachine.Kind, id string, to statemachine.Destination, _ string, _ time.Time) error {
	f.marked = append(f.marked, "accepted "+string(kind)+"/"+id+" "+string(to))
	return nil
}

func (f *fakeLedger) MarkAttempted(_ context.Context, kind statemachine.Kind, id string, to statemachine.Destination, _ string, _ time.Time) error {
	f.marked = append(f.marked, "attempted "+string(kind)+"/"+id+" "+string(to))
	return nil
}

func TestOutboundDropsACommandARecordSuperseded(t *testing.T) {
	old := event(t, statemachine.CmdCarrierSubmit, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT})
	later := old.OccurredAt.Add(time.Minute)
	campaign := func(ref statemachine.CommandRef) *statemachine.Record {
		return &statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1",
			Commands: map[statemachine.Destination]statemachine.CommandRef{statemachine.ToATT: ref}}
	}
	tests := []struct {
		name     string
		ledger   *fakeLedger
		wantCall bool
		wantErr  bool
	}{
		{"a re-drive sent a newer command under a new key", &fakeLedger{records: map[string]*statemachine.Record{
			"c1": campaign(statemachine.CommandRef{EventID: "newer", SentAt: later})}}, false, false},
		{"the record's command is this one", &fakeLedger{records: map[string]*statemachine.Record{
			"c1": campaign(statemachine.CommandRef{EventID: old.EventID, SentAt: later})}}, true, false},
		{"a record read behind holds an older command", &fakeLedger{records: map[string]*statemachine.Record{
			"c1": campaign(statemachine.CommandRef{EventID: "older", SentAt: old.OccurredAt.Add(-time.Minute)})}}, true, false},
		{"no record", &fakeLedger{}, true, false},
		{"the record cannot be read: retried", &fakeLedger{getErr: errors.New("throttled")}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, lim, obs := &fakeDownstream{}, &fakeLimiter{}, &recordingOutboundObserver{}
			o, err := NewOutbound(OutboundConfig{Name: "att", Downstream: ds, Limiter: lim, Events: &memSender{},
				Ledger: tt.ledger, Observer: obs})
			if err != nil {
				t.Fatal(err)
			}
			err = o.Handle(t.Context(), newMessage(t, old))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := len(ds.calls) == 1 && lim.waits == 1; got != tt.wantCall {
				t.Errorf("called %d times after %d waits, want a call %v", len(ds.calls), lim.waits, tt.wantCall)
			}
			if superseded := slices.Contains(obs.outcomes, OutcomeSuperseded); superseded != (!tt.wantCall && !tt.wantErr) {
				t.Errorf("observed outcomes %v", obs.outcomes)
			}
		})
	}
}

// recordingOutboundObserver records the call outcomes.
type recordingOutboundObserver struct{ outcomes []string }

func (r *recordingOutboundObserver) Called(_ string, outcome string, _ time.Duration) {
	r.outcomes = append(r.outcomes, outcome)
}
func (r *recordingOutboundObserver) Waited(string, time.Duration) {}

func TestOutboundRefusesEventsOnACommandQueue(t *testing.T) {
	o, err := NewOutbound(OutboundConfig{Name: "registry", Downstream: &fakeDownstream{}, Limiter: &fakeLimiter{}, Events: &memSender{}})
	if err != nil {
		t.Fatal(err)
	}
	m := newMessage(t, event(t, statemachine.BrandVerified, "b1", statemachine.Identity{Status: "VERIFIED"}))
	if err := o.Handle(t.Context(), m); !errors.Is(err, statemachine.ErrUnknownEvent) {
		t.Errorf("err = %v, want ErrUnknownEvent", err)
	}
}

func types(out []statemachine.Outgoing) []string {
	var s []string
	for _, o := range out {
		s = append(s, string(o.To)+":"+string(o.Envelope.Type))
	}
	return s
}

func TestOutboundShortensARefusalsWords(t *testing.T) {
	ds := &fakeDownstream{err: &longRefusal{}}
	events := &memSender{}
	o, err := NewOutbound(OutboundConfig{Name: "registry", Downstream: ds, Limiter: &fakeLimiter{}, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	cmd := event(t, statemachine.CmdSubmitBrand, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"})
	if err := o.Handle(t.Context(), newMessage(t, cmd)); err != nil {
		t.Fatal(err)
	}
	sent := events.take()
	if len(sent) != 1 {
		t.Fatalf("sent %d events, want the refusal", len(sent))
	}
	r, err := statemachine.DecodePayload[statemachine.Reason](sent[0].Envelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Description) > 256 {
		t.Errorf("refusal description of %d bytes, want at most 256", len(r.Description))
	}
}

// longRefusal is a 400 refusal whose message is far longer than a record
// should hold.
type longRefusal struct{}

func (longRefusal) Error() string       { return strings.Repeat("é", 100_000) }
func (longRefusal) HTTPStatusCode() int { return 400 }
func (longRefusal) ReasonCode() int     { return 30795 }
