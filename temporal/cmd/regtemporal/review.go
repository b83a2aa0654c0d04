package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

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
	run: runReview})

func runReview(ctx context.Context, args []string) error {
	if len(args) < 2 || (args[0] != "approve" && args[0] != "reject") {
		return fmt.Errorf("%w: want approve|reject CAMPAIGN", errUsage)
	}
	verdict, id := args[0], args[1]
	var (
		c      conn
		reason string
		code   int
	)
	fs := flag.NewFlagSet("review", flag.ContinueOnError)
	c.flags(fs)
	fs.StringVar(&reason, "reason", "", "why the campaign is rejected (reject)")
	fs.IntVar(&code, "code", statemachine.CodeSampleMismatch, "CPaaS `code` of the rejection (reject)")
	if err := fs.Parse(args[2:]); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	env := statemachine.Envelope{Type: statemachine.CampaignReviewApproved, SchemaVersion: statemachine.SchemaVersion,
		EventID: fmt.Sprintf("review-%s-%d", id, time.Now().UnixNano()), EntityID: id, OccurredAt: time.Now().UTC(),
		Actor: "operator:" + envOr("USER", "unknown")}
	if verdict == "reject" {
		if strings.TrimSpace(reason) == "" {
			return fmt.Errorf("%w: reject needs --reason", errUsage)
		}
		env.Type = statemachine.CampaignReviewRejected
		env.Payload, _ = json.Marshal(statemachine.Reason{Code: code, Description: reason}) // a Reason always encodes
	}
	cl, err := c.dial(ctx, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer cl.Close()
	wid := flow.WorkflowID(statemachine.KindCampaign, id)
	if err := cl.SignalWorkflow(ctx, wid, "", flow.SignalEvent, env); err != nil {
		return fmt.Errorf("signal %s: %w", wid, err)
	}
	fmt.Printf("%s: %s signalled\n", id, env.Type)
	return nil
}
