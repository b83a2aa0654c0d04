package bridge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/tcr"
)

// StatusPattern is the route of the status look-up, as http.ServeMux reads
// it: tcr.Client.Lookup's path of Lookup{ToTemporal, campaign, id, Of:
// LookupEvidence}.
const StatusPattern = "GET /delegated/evidence/{campaignID}"

// Status answers the legacy sweeper's look-up of a campaign's delegated
// evidence review, in the registry's look-up format ({"events":[...]}):
// 404 when no delegated workflow holds the campaign (none started yet, or
// visibility has not learned of it: the sweeper then sends the command
// again, which finds the workflow); the decision as the registry's webhook
// when its workflow has one; no event while it decides, and after it gave
// up (its campaign.failed is on the events queue). 503 when Temporal cannot
// be asked.
type Status struct {
	Client    Client
	Namespace string
	Logger    *slog.Logger
	// Lookups counts the answers: not_found, deciding, decided.
	Lookups *prometheus.CounterVec
}

// NewStatus returns a Status whose counter reg registers (nil: none).
func NewStatus(c Client, namespace string, logger *slog.Logger, reg prometheus.Registerer) *Status {
	s := &Status{Client: c, Namespace: namespace, Logger: logger, Lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tendlc_bridge_lookups_total",
		Help: "Status look-ups of delegated evidence reviews, by answer: not_found, deciding or decided.",
	}, []string{"answer"})}
	if reg != nil {
		reg.MustRegister(s.Lookups)
	}
	return s
}

// ServeHTTP answers GET /delegated/evidence/{campaignID}.
func (s *Status) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	campaign := r.PathValue("campaignID")
	events, found, err := s.decision(r, campaign)
	if err != nil {
		s.Logger.Warn("status look-up failed", "campaign_id", campaign, "error", err)
		http.Error(w, "temporal unavailable", http.StatusServiceUnavailable)
		return
	}
	if !found {
		s.Lookups.WithLabelValues("not_found").Inc()
		http.Error(w, "no delegated evidence review of "+campaign, http.StatusNotFound)
		return
	}
	s.Lookups.WithLabelValues(map[bool]string{true: "decided", false: "deciding"}[len(events) > 0]).Inc()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Events []tcr.WebhookEvent `json:"events"`
	}{events})
}

// decision returns the decision of campaign's newest delegated workflow,
// none while it decides, and whether there is one.
func (s *Status) decision(r *http.Request, campaign string) ([]tcr.WebhookEvent, bool, error) {
	info, err := latest(r.Context(), s.Client, s.Namespace, campaign, false)
	if err != nil || info == nil {
		return nil, false, err
	}
	res, err := result(r.Context(), s.Client, info.GetExecution().GetWorkflowId(), campaign)
	if errors.Is(err, errRunning) || (err == nil && res.Decision == nil) {
		return []tcr.WebhookEvent{}, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return []tcr.WebhookEvent{*res.Decision}, true, nil
}
