package statemachine

import (
	"bytes"
	"testing"
)

func TestDiffFlowsV1V2(t *testing.T) {
	diffs, err := DiffFlows(FlowV1, FlowV2)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != len(Kinds) {
		t.Fatalf("%d diffs, want one per kind", len(diffs))
	}
	var text bytes.Buffer
	for _, d := range diffs {
		if d.Kind != KindCampaign {
			if d.Counts != (DiffCounts{}) || len(d.Cells) != 0 {
				t.Errorf("%s: %+v, want no change (v2 shares v1's table)", d.Kind, d.Counts)
			}
			continue
		}
		if err := d.WriteText(&text); err != nil {
			t.Fatal(err)
		}
		c := d.Counts
		// One row (EVIDENCE_REVIEW: 17 old events + 2 new) and two columns
		// (14 states each, the new row's already counted): 19 + 2*13 = 45
		// cells added; IN_REVIEW x review_approved changed its destination.
		if c.AddedStates != 1 || c.AddedEvents != 2 || c.AddedCells.Total != 45 || c.ChangedCells.Total != 1 || c.Touched != 46 {
			t.Errorf("campaign counts %+v, want +1 state, +2 events, 45 cells added, 1 changed", c)
		}
		ch := d.Cells[0]
		for _, x := range d.Cells {
			if x.Change == CellChanged {
				ch = x
			}
		}
		if ch.Change != CellChanged || ch.Cell.State != InReview || ch.Cell.Event != CampaignReviewApproved ||
			ch.Cause != "to" || ch.Cell.To[0] != EvidenceReview || ch.Was.To[0] != CarrierReview {
			t.Errorf("changed cell %+v, want IN_REVIEW x review_approved, to EVIDENCE_REVIEW instead of CARRIER_REVIEW", ch)
		}
		// The diff's counts agree with the matrices'.
		v1, _ := MatrixOf(FlowV1, KindCampaign)
		v2, _ := MatrixOf(FlowV2, KindCampaign)
		if got, want := v2.Counts.Cells-v1.Counts.Cells, c.AddedCells.Total; got != want {
			t.Errorf("v2 has %d more cells than v1, diff adds %d", got, want)
		}
	}
	golden(t, "diff.v1.v2.txt", text.Bytes())

	if _, err := DiffFlows(FlowV1, Flow(9)); err == nil {
		t.Error("DiffFlows(v1, v9) = nil error, want an unknown-flow error")
	}
	same, err := DiffFlows(FlowV2, FlowV2)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range same {
		if d.Counts.Touched != 0 {
			t.Errorf("v2 against itself: %s touched %d cells", d.Kind, d.Counts.Touched)
		}
	}
}
