package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

var (
	_ = register(reviewCommand(statemachine.CampaignReviewApproved, `
Record the manual vetting's approval of a campaign: send
campaign.review_approved for it to the events queue, with the actor
"operator:<$USER>" ("operator:unknown" without USER) and the campaign's
correlation id. regd then moves the campaign from IN_REVIEW to CARRIER_REVIEW
and submits it to AT&T, T-Mobile and Verizon.
`, `
  regctl review approve c-1001
  regctl --prefix staging- review approve c-1001 -o json
`))
	_ = register(reviewCommand(statemachine.CampaignReviewRejected, `
Record the manual vetting's rejection of a campaign: send
campaign.review_rejected for it to the events queue, with the reason (and
its CPaaS error code, such as 30893 "sample message does not match the use
case"), the actor "operator:<$USER>" ("operator:unknown" without USER) and
the campaign's correlation id. regd then moves the campaign from IN_REVIEW to
REJECTED; it may be edited and resubmitted.
`, `
  regctl review reject c-1001 --reason "sample messages do not match the use case" --code 30893
  regctl review reject c-1001 --reason "use case ineligible" --code 30900 -o json
`))
)

// reviewCommand returns the command that sends event t, a reviewer's
// verdict; a rejection carries a reason.
func reviewCommand(t statemachine.EventType, help, examples string) *Command {
	verb := map[statemachine.EventType]string{
		statemachine.CampaignReviewApproved: "approve", statemachine.CampaignReviewRejected: "reject",
	}[t]
	rejects := t == statemachine.CampaignReviewRejected
	synopsis := "[--prefix P] [-o table|json] <campaign-id>"
	if rejects {
		synopsis = "[--prefix P] --reason R [--code N] [-o table|json] <campaign-id>"
	}
	return &Command{
		Path:     "review " + verb,
		Summary:  verb + " a campaign in manual vetting",
		Synopsis: synopsis,
		Help: help + `
It first reads the campaign and refuses, with exit status 1, when there is
none or when the state machine would reject or ignore the verdict in its
state (it is accepted in IN_REVIEW, and deferred in TCR_PENDING).

JSON output (-o json): as "regctl send"
  sent[]  {event_id, type, entity_id, correlation_id}

Examples:` + examples,
		Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
			prefix := env.PrefixFlag(fs)
			var reason *string
			var code *int
			if rejects {
				reason = fs.String("reason", "", "why the campaign is rejected: `R` (required)")
				code = fs.Int("code", 0, "the CPaaS error code `N` of the rejection, such as 30893")
			}
			output := outputFlag(fs, formatTable, formatJSON)
			return func(ctx context.Context, args []string) error {
				args, err := positional(fs, args)
				if err != nil {
					return err
				}
				if len(args) != 1 {
					return usageErrorf("want one campaign id, got %d arguments", len(args))
				}
				if err := checkOutput(*output, formatTable, formatJSON); err != nil {
					return err
				}
				var payload json.RawMessage
				if rejects {
					if strings.TrimSpace(*reason) == "" {
						return usageErrorf("--reason is required")
					}
					if payload, err = json.Marshal(statemachine.Reason{Code: *code, Description: *reason}); err != nil {
						return err
					}
				}
				d, err := connect(ctx, *prefix)
				if err != nil {
					return err
				}
				store, err := d.store()
				if err != nil {
					return err
				}
				c, err := findRecord(ctx, store, statemachine.KindCampaign, args[0])
				if err != nil {
					return err
				}
				cell, err := statemachine.CellFor(c.Flow, statemachine.KindCampaign, c.State, t)
				if err != nil {
					return err
				}
				if cell.Disposition == statemachine.Reject || cell.Disposition == statemachine.Ignore {
					return fmt.Errorf("campaign %s is in %s, where regd would %s %s (%s): nothing sent",
						c.ID, c.State, cell.Disposition, t, cell.Reason)
				}
				e := statemachine.Envelope{
					Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: newEventID(), EntityID: c.ID,
					CorrelationID: c.CorrelationID, Actor: env.operator(), Payload: payload, // the producer stamps OccurredAt
				}
				p, err := d.producer(ctx)
				if err != nil {
					return err
				}
				sendErr := p.Send(ctx, e)
				sent := sentEvents([]statemachine.Envelope{e}, sendErr)
				err = printSent(env.Stdout, *output, sent)
				return errors.Join(sendErr, err)
			}
		},
	}
}
