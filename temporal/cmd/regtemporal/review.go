package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

var _ = register(&command{name: "review", summary: "record the manual vetting's verdict on a campaign",
	usage: `regtemporal review approve|reject CAMPAIGN [--reason TEXT --code N] [flags]

Signals the campaign's workflow the reviewer's verdict, as regctl review
sends it to the baseline's events queue: campaign.review_approved, or
campaign.review_rejected with the reason and its CPaaS code (such as 30893),
with the actor "operator:<$USER>". The workflow takes it in IN_REVIEW (or
keeps it until it gets there) and ignores a second verdict.`,
	setup: reviewCommand})

func reviewCommand(fs *flag.FlagSet, m *Main) runFunc {
	var c conn
	c.flags(fs)
	reason := fs.String("reason", "", "why the campaign is rejected (reject)")
	code := fs.Int("code", statemachine.CodeSampleMismatch, "CPaaS `code` of the rejection (reject)")
	return func(ctx context.Context, args []string) error {
		if len(args) != 2 || (args[0] != "approve" && args[0] != "reject") {
			return usageErrorf("want approve|reject CAMPAIGN, got %q", args)
		}
		env, err := verdict(args[0], args[1], *reason, *code, time.Now().UTC(), envOr("USER", "unknown"))
		if err != nil {
			return err
		}
		return c.with(ctx, m.Stderr, func(cl client.Client) error {
			wid := flow.WorkflowID(statemachine.KindCampaign, env.EntityID)
			if err := cl.SignalWorkflow(ctx, wid, "", flow.SignalEvent, env); err != nil {
				return fmt.Errorf("signal %s: %w", wid, err)
			}
			fmt.Fprintf(m.Stdout, "%s: %s signalled\n", env.EntityID, env.Type)
			return nil
		})
	}
}

// verdict returns the reviewer's event: approve or reject campaign id, by
// user at now; a rejection needs its reason.
func verdict(kind, id, reason string, code int, now time.Time, user string) (statemachine.Envelope, error) {
	env := statemachine.Envelope{Type: statemachine.CampaignReviewApproved, SchemaVersion: statemachine.SchemaVersion,
		EventID: fmt.Sprintf("review-%s-%d", id, now.UnixNano()), EntityID: id, OccurredAt: now, Actor: "operator:" + user}
	if kind == "reject" {
		if strings.TrimSpace(reason) == "" {
			return env, usageErrorf("reject needs --reason")
		}
		env.Type = statemachine.CampaignReviewRejected
		env.Payload, _ = json.Marshal(statemachine.Reason{Code: code, Description: reason}) // a Reason always encodes
	}
	return env, nil
}
