package main

import (
	"context"
	"encoding/json"
	"flag"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tendlc/tendlc/statemachine"
)

var _ = register(&command{name: "campaigns", summary: "print every campaign's state as JSON",
	usage: `regtemporal campaigns [flags]

Prints one JSON object: for every campaign workflow, by campaign id, its
state (the RegistrationState search attribute: the current state of an open
workflow, the last of a closed one), its flow (1 or 2: the version its
workflow.GetVersion recorded, from the TemporalChangeVersion search
attribute), when it was created and, once closed, when it entered its last
state. One visibility query, paged.`,
	setup: campaignsCommand})

// campaignView is one campaign in the output of campaigns.
type campaignView struct {
	State     statemachine.State `json:"state"`
	Flow      statemachine.Flow  `json:"flow"`
	EnteredAt *time.Time         `json:"entered_at,omitempty"`
	CreatedAt time.Time          `json:"created_at"`
}

func campaignsCommand(fs *flag.FlagSet, m *Main) runFunc {
	return clientCommand(fs, m, func(ctx context.Context, cl client.Client, namespace string) error {
		infos, err := listRecords(ctx, cl, statemachine.KindCampaign)
		if err != nil {
			return err
		}
		out := make(map[string]campaignView, len(infos))
		for id, info := range infos {
			v := campaignView{State: stateOf(info), Flow: flowOf(info), CreatedAt: info.GetStartTime().AsTime()}
			if closed(info) {
				t := info.GetCloseTime().AsTime()
				v.EnteredAt = &t
			}
			out[strings.TrimPrefix(id, string(statemachine.KindCampaign)+"/")] = v
		}
		return json.NewEncoder(m.Stdout).Encode(out)
	})
}
