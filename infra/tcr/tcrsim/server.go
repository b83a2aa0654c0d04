package tcrsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// maxBodyBytes caps request and webhook answer bodies.
const maxBodyBytes = 1 << 20

// Simulator is the simulated registry, carriers and number registration: an
// http.Handler ([Simulator.Handler]) and the webhooks it sends. Serve runs it
// on a listener of its own; a program may as well mount Handler on its own
// server, and then calls Close when done.
type Simulator struct {
	cfg       Config
	log       *slog.Logger
	rnd       *random
	limiters  map[Group]*limiter
	counters  *tally
	journal   *recorder
	faults    *faults
	webhooks  *webhooks
	endpoints []endpoint

	mu     sync.Mutex // serialises decisions, so that concurrent repeats see one another
	memory *memory
}

// New validates cfg (defaults filled in) and builds the simulator. It
// returns an error joining every problem of cfg. No webhook is sent before
// the first request.
func New(cfg Config) (*Simulator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("carriersim config: %w", err)
	}
	client, log := cfg.WebhookClient, cfg.Logger
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{cfg: cfg, log: log, rnd: newRandom(cfg.Seed), limiters: map[Group]*limiter{},
		faults: &faults{}, memory: newMemory()}
	for _, g := range groups {
		s.limiters[g] = newLimiter(cfg.RateLimits[g])
	}
	s.endpoints = s.routeTable()
	s.counters = newTally(s.endpoints)
	s.journal = newRecorder(cfg.RateLimits)
	s.webhooks = newWebhooks(cfg, client, s.rnd, s.faults, s.counters, s.journal, log)
	return s, nil
}

// Close stops the webhooks still to come and waits for the deliveries under
// way to end. The handler answers requests still, but plans no webhook.
func (s *Simulator) Close() { s.webhooks.close() }

// ListenAndServe listens on Config.Addr and serves there: see [Simulator.Serve].
func (s *Simulator) ListenAndServe(ctx context.Context) error {
	l, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return s.Serve(ctx, l)
}

// Serve serves the simulator's handler on l until ctx is canceled, then
// shuts down: in-flight requests get Config.ShutdownTimeout, webhooks not
// yet sent are abandoned (Close). It returns the serve and shutdown errors.
func (s *Simulator) Serve(ctx context.Context, l net.Listener) error {
	defer s.Close()
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	s.log.Info("carriersim listening", "addr", l.Addr().String(), "webhook_url", s.cfg.WebhookURL, "seed", s.cfg.Seed)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	<-served // http.ErrServerClosed
	s.log.Info("carriersim stopped")
	return nil
}

// Journal returns what GET /journal answers: a copy of the record of every
// request and webhook so far.
func (s *Simulator) Journal() Journal { return s.journal.view() }

// Counters returns what GET /counters answers.
func (s *Simulator) Counters() Counters { return s.counters.view(s.limiters) }

// endpoint is one downstream operation behind the shared request handling
// (counting, rate limit, injected errors): a state-changing request, which the
// memory recognises when repeated and decide answers when new, or a status
// look-up, which lists what the state-changing endpoints decided.
type endpoint struct {
	pattern string // ServeMux pattern; also the counters key
	group   Group
	// decide answers a new request and plans its webhooks. An error means
	// the request is malformed: 400, and nothing is remembered. Nil for a
	// status look-up.
	decide func(r request) (answer, []*event, error)
	// lists are the patterns of the endpoints whose decisions a status
	// look-up lists. Nil for a state-changing endpoint.
	lists []string
}

// request is what decide and lookup get of an HTTP request.
type request struct {
	endpoint string    // the endpoint's pattern
	id       string    // the record id from the path
	key      string    // the Idempotency-Key header
	body     []byte    // the raw body
	now      time.Time // when it arrived
}

// routeTable lists the endpoints: per downstream record, the state-changing
// ones and the status look-up that lists their decisions.
func (s *Simulator) routeTable() []endpoint {
	var eps []endpoint
	add := func(lookup string, g Group, decisions ...endpoint) {
		ep := endpoint{pattern: lookup, group: g}
		for _, d := range decisions {
			d.group = g
			eps = append(eps, d)
			ep.lists = append(ep.lists, d.pattern)
		}
		eps = append(eps, ep)
	}
	add("GET /registry/brands/{id}", GroupRegistry,
		endpoint{pattern: "POST /registry/brands/{id}", decide: s.submitBrand},
		endpoint{pattern: "POST /registry/brands/{id}/revet", decide: s.revetBrand},
		endpoint{pattern: "DELETE /registry/brands/{id}", decide: s.deleteBrand})
	add("GET /registry/campaigns/{id}", GroupRegistry,
		endpoint{pattern: "POST /registry/campaigns/{id}", decide: s.submitCampaign},
		endpoint{pattern: "DELETE /registry/campaigns/{id}", decide: s.deleteCampaign})
	add("GET /registry/campaigns/{id}/evidence", GroupRegistry,
		endpoint{pattern: "POST /registry/campaigns/{id}/evidence", decide: s.submitEvidence})
	for _, c := range statemachine.Carriers {
		path := "/carriers/" + string(c) + "/campaigns/{id}"
		add("GET "+path, Group(c), endpoint{pattern: "POST " + path, decide: s.submitToCarrier(c)})
	}
	add("GET /numbers/{id}", GroupNumbers,
		endpoint{pattern: "POST /numbers/{id}", decide: s.registerNumber},
		endpoint{pattern: "DELETE /numbers/{id}", decide: s.deregisterNumber})
	return eps
}

// Handler returns the simulator's HTTP handler: the downstreams' endpoints,
// GET /counters, GET /journal, /admin/faults and GET /healthz.
func (s *Simulator) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, ep := range s.endpoints {
		mux.HandleFunc(ep.pattern, s.serve(ep))
	}
	s.faults.routes(mux)
	mux.HandleFunc("GET /counters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Counters())
	})
	mux.HandleFunc("GET /journal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Journal())
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

// serve handles one request to ep: journal and count it; answer 429 past the
// group's rate limit and 503 at the injected error rate; answer a status
// look-up from memory; replay the first answer (and send its webhooks again)
// for a repeat; otherwise decide, remember and schedule. Every request gets
// one outcome, journaled and counted before it is answered.
func (s *Simulator) serve(ep endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pending := s.journal.arrive(ep, r.PathValue("id"), r.Header.Get(tcr.IdempotencyKeyHeader))
		now := pending.at
		log := s.log.With("endpoint", ep.pattern, "record_id", r.PathValue("id"),
			"correlation_id", r.Header.Get(tcr.CorrelationIDHeader))
		s.counters.request(ep.pattern, func(c *RequestStats) { c.Requests++ })
		settle := func(o RequestOutcome, status, code int) {
			s.counters.request(ep.pattern, func(c *RequestStats) { c.count(o) })
			pending.settle(o, status, code)
		}
		if wait, ok := s.limiters[ep.group].allow(now); !ok {
			settle(OutcomeRateLimited, http.StatusTooManyRequests, 0)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, errorBody{Message: "rate limit exceeded"})
			log.Debug("rate limited", "retry_after", wait)
			return
		}
		if s.rnd.chance(s.cfg.ServerErrors[ep.group]) {
			settle(OutcomeServerError, http.StatusServiceUnavailable, 0)
			writeJSON(w, http.StatusServiceUnavailable, errorBody{Message: "service unavailable (injected)"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			settle(OutcomeMalformed, status, 0)
			writeJSON(w, status, errorBody{Message: "read body: " + err.Error()})
			return
		}
		req := request{endpoint: ep.pattern, id: r.PathValue("id"), key: r.Header.Get(tcr.IdempotencyKeyHeader), body: body, now: now}
		var (
			ans answer
			o   RequestOutcome
		)
		if ep.decide == nil {
			ans, o = s.lookup(ep, req)
		} else if ans, o, err = s.decide(ep, req, log); err != nil {
			settle(OutcomeMalformed, http.StatusBadRequest, 0)
			writeJSON(w, http.StatusBadRequest, errorBody{Message: err.Error()})
			return
		}
		settle(o, ans.status, ans.code)
		writeAnswer(w, ans)
	}
}

// decide answers a request that passed the rate limit: the remembered answer
// for a repeat, a new decision otherwise, forgotten at once when it is lost.
// It returns the answer and the request's outcome, or decide's error for a
// malformed request.
func (s *Simulator) decide(ep endpoint, r request, log *slog.Logger) (answer, RequestOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, resubmission := s.memory.recall(r)
	if prev != nil {
		s.webhooks.replay(prev.events)
		log.Debug("repeated request", "status", prev.answer.status)
		return prev.answer, OutcomeRepeated, nil
	}
	ans, events, err := ep.decide(r)
	if err != nil {
		return answer{}, "", err
	}
	if s.lost(ep, ans) {
		s.memory.lose(r)
		log.Debug("request lost (injected)", "status", ans.status, "resubmission", resubmission)
		return ans, OutcomeLost, nil
	}
	s.memory.remember(r, &submission{answer: ans, events: events})
	for _, e := range events {
		s.webhooks.schedule(e)
	}
	log.Debug("request decided", "status", ans.status, "webhooks", len(events), "resubmission", resubmission)
	if resubmission {
		return ans, OutcomeResubmitted, nil
	}
	return ans, OutcomeDecided, nil
}

// errorBody is the JSON of an error answer, CPaaS style.
type errorBody struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message"`
}

// created, accepted, noContent and rejected build the answers of decide.
func created(externalID string) answer  { return jsonAnswer(http.StatusCreated, receipt{externalID}) }
func accepted(externalID string) answer { return jsonAnswer(http.StatusAccepted, receipt{externalID}) }
func noContent() answer                 { return answer{status: http.StatusNoContent} }
func rejected(code int, msg string) answer {
	a := jsonAnswer(http.StatusBadRequest, errorBody{Code: code, Message: msg})
	a.code = code
	return a
}

type receipt struct {
	ExternalID string `json:"external_id,omitempty"`
}

func jsonAnswer[T receipt | errorBody | statusBody](status int, v T) answer {
	b, _ := json.Marshal(v) // these types always encode
	return answer{status: status, body: b}
}

func writeAnswer(w http.ResponseWriter, a answer) {
	if a.body != nil {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeAnswer(w, answer{status: status, body: append(b, '\n')})
}
