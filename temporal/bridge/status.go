package bridge

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/temporal/flow"
)

// StatusPattern is the route of the status look-up, as http.ServeMux reads
// it: tcr.Client.Lookup's path of Lookup{ToTemporal, campaign, id, Of:
// LookupEvidence, Ref: the command's event id}.
const StatusPattern = "GET /delegated/evidence/{campaignID}/{commandID}"

// Status answers the legacy sweeper's look-up of a campaign's delegated
// evidence review, in the registry's look-up format ({"events":[...]}),
// from the workflow of the record's command (flow.DelegatedEvidenceID:
// described by id, so neither visibility's lag nor an earlier stay's
// workflow can answer for it): the decision as the registry's webhook when
// the workflow has one; no event while it decides; 404 when it never
// started, or ended without a decision (it gave up, or was terminated):
// the sweeper then sends the command again, and the drainer, finding the
// workflow ended, sends its result (campaign.failed) again. 503 when
// Temporal cannot be asked.
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

// ServeHTTP answers GET /delegated/evidence/{campaignID}/{commandID}.
func (s *Status) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	campaign := r.PathValue("campaignID")
	events, found, err := s.decision(r, campaign, r.PathValue("commandID"))
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

// decision returns the decision of the workflow of campaign's command,
// none while it decides, and whether it holds one or decides.
func (s *Status) decision(r *http.Request, campaign, command string) ([]tcr.WebhookEvent, bool, error) {
	res, err := result(r.Context(), s.Client, flow.DelegatedEvidenceID(campaign, command), campaign)
	switch _, missing := errors.AsType[*serviceerror.NotFound](err); {
	case missing:
		return nil, false, nil
	case errors.Is(err, errRunning):
		return []tcr.WebhookEvent{}, true, nil
	case err != nil:
		return nil, false, err
	case res.Decision == nil:
		return nil, false, nil // ended without a decision: its give-up is sent again with the command
	}
	return []tcr.WebhookEvent{*res.Decision}, true, nil
}
