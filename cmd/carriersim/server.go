package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// maxBodyBytes caps request and webhook answer bodies.
const maxBodyBytes = 1 << 20

// sim is the simulated registry, carriers and number registration.
type sim struct {
	cfg       Config
	log       *slog.Logger
	rnd       *random
	limiters  map[Group]*limiter
	counters  *counters
	journal   *journal
	faults    *faults
	webhooks  *webhooks
	endpoints []endpoint

	mu     sync.Mutex // serialises decisions, so that concurrent repeats see one another
	memory *memory
}

// newSim validates cfg (defaults filled in) and builds the simulator. client
// posts the webhooks; nil means a client of its own.
func newSim(cfg Config, client *http.Client, log *slog.Logger) (*sim, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("carriersim config: %w", err)
	}
	if client == nil {
		client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	s := &sim{cfg: cfg, log: log, rnd: newRandom(cfg.Seed), limiters: map[Group]*limiter{},
		faults: &faults{}, memory: newMemory()}
	for _, g := range groups {
		s.limiters[g] = newLimiter(cfg.RateLimits[g])
	}
	s.endpoints = s.routeTable()
	s.counters = newCounters(s.endpoints)
	s.journal = newJournal(cfg.RateLimits)
	s.webhooks = newWebhooks(cfg, client, s.rnd, s.faults, s.counters, s.journal, log)
	return s, nil
}

// close stops the webhooks still to come and waits for deliveries to end.
func (s *sim) close() { s.webhooks.close() }

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
func (s *sim) routeTable() []endpoint {
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
	for _, c := range statemachine.Carriers {
		path := "/carriers/" + string(c) + "/campaigns/{id}"
		add("GET "+path, Group(c), endpoint{pattern: "POST " + path, decide: s.submitToCarrier(c)})
	}
	add("GET /numbers/{id}", GroupNumbers,
		endpoint{pattern: "POST /numbers/{id}", decide: s.registerNumber},
		endpoint{pattern: "DELETE /numbers/{id}", decide: s.deregisterNumber})
	return eps
}

// routes returns the simulator's HTTP handler.
func (s *sim) routes() http.Handler {
	mux := http.NewServeMux()
	for _, ep := range s.endpoints {
		mux.HandleFunc(ep.pattern, s.serve(ep))
	}
	s.faults.routes(mux)
	mux.HandleFunc("GET /counters", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.counters.view(s.limiters))
	})
	mux.HandleFunc("GET /journal", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.journal.view())
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
func (s *sim) serve(ep endpoint) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pending := s.journal.arrive(ep, r.PathValue("id"), r.Header.Get(tcr.IdempotencyKeyHeader))
		now := pending.at
		log := s.log.With("endpoint", ep.pattern, "record_id", r.PathValue("id"),
			"correlation_id", r.Header.Get(tcr.CorrelationIDHeader))
		s.counters.request(ep.pattern, func(c *requestStats) { c.Requests++ })
		settle := func(o requestOutcome, status, code int) {
			s.counters.request(ep.pattern, func(c *requestStats) { c.count(o) })
			pending.settle(o, status, code)
		}
		if wait, ok := s.limiters[ep.group].allow(now); !ok {
			settle(outcomeRateLimited, http.StatusTooManyRequests, 0)
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			writeJSON(w, http.StatusTooManyRequests, errorBody{Message: "rate limit exceeded"})
			log.Debug("rate limited", "retry_after", wait)
			return
		}
		if s.rnd.chance(s.cfg.ServerErrors[ep.group]) {
			settle(outcomeServerError, http.StatusServiceUnavailable, 0)
			writeJSON(w, http.StatusServiceUnavailable, errorBody{Message: "service unavailable (injected)"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			status := http.StatusBadRequest
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				status = http.StatusRequestEntityTooLarge
			}
			settle(outcomeMalformed, status, 0)
			writeJSON(w, status, errorBody{Message: "read body: " + err.Error()})
			return
		}
		req := request{endpoint: ep.pattern, id: r.PathValue("id"), key: r.Header.Get(tcr.IdempotencyKeyHeader), body: body, now: now}
		var (
			ans answer
			o   requestOutcome
		)
		if ep.decide == nil {
			ans, o = s.lookup(ep, req)
		} else if ans, o, err = s.decide(ep, req, log); err != nil {
			settle(outcomeMalformed, http.StatusBadRequest, 0)
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
func (s *sim) decide(ep endpoint, r request, log *slog.Logger) (answer, requestOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev, resubmission := s.memory.recall(r)
	if prev != nil {
		s.webhooks.replay(prev.events)
		log.Debug("repeated request", "status", prev.answer.status)
		return prev.answer, outcomeRepeated, nil
	}
	ans, events, err := ep.decide(r)
	if err != nil {
		return answer{}, "", err
	}
	if s.lost(ep, ans) {
		s.memory.lose(r)
		log.Debug("request lost (injected)", "status", ans.status, "resubmission", resubmission)
		return ans, outcomeLost, nil
	}
	s.memory.remember(r, &submission{answer: ans, events: events})
	for _, e := range events {
		s.webhooks.schedule(e)
	}
	log.Debug("request decided", "status", ans.status, "webhooks", len(events), "resubmission", resubmission)
	if resubmission {
		return ans, outcomeResubmitted, nil
	}
	return ans, outcomeDecided, nil
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
