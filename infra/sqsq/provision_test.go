package sqsq

import (
	"slices"
	"testing"
)

func TestDiffAttributes(t *testing.T) {
	const policy = `{"deadLetterTargetArn":"arn:dlq","maxReceiveCount":"10"}`
	tests := []struct {
		name      string
		want, got map[string]string
		diffs     []Diff
	}{
		{
			name: "same",
			want: map[string]string{"VisibilityTimeout": "60", "RedrivePolicy": policy},
			got:  map[string]string{"VisibilityTimeout": "60", "RedrivePolicy": policy, "QueueArn": "arn:q"},
		},
		{
			name: "maxReceiveCount as a number is the same",
			want: map[string]string{"RedrivePolicy": policy},
			got:  map[string]string{"RedrivePolicy": `{"maxReceiveCount": 10, "deadLetterTargetArn": "arn:dlq"}`},
		},
		{
			name:  "other maxReceiveCount",
			want:  map[string]string{"RedrivePolicy": policy},
			got:   map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:dlq","maxReceiveCount":5}`},
			diffs: []Diff{{"RedrivePolicy", policy, `{"deadLetterTargetArn":"arn:dlq","maxReceiveCount":5}`}},
		},
		{
			name:  "other dead-letter queue",
			want:  map[string]string{"RedrivePolicy": policy},
			got:   map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"arn:other","maxReceiveCount":"10"}`},
			diffs: []Diff{{"RedrivePolicy", policy, `{"deadLetterTargetArn":"arn:other","maxReceiveCount":"10"}`}},
		},
		{
			name:  "missing and different values, sorted",
			want:  map[string]string{"VisibilityTimeout": "60", "MessageRetentionPeriod": "1209600", "RedrivePolicy": policy},
			got:   map[string]string{"VisibilityTimeout": "30", "MessageRetentionPeriod": "1209600"},
			diffs: []Diff{{"RedrivePolicy", policy, ""}, {"VisibilityTimeout", "60", "30"}},
		},
		{
			name:  "a dead-letter queue with a redrive policy",
			want:  map[string]string{"VisibilityTimeout": "60"},
			got:   map[string]string{"VisibilityTimeout": "60", "RedrivePolicy": policy},
			diffs: []Diff{{"RedrivePolicy", "", policy}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diffAttributes(tt.want, tt.got); !slices.Equal(got, tt.diffs) {
				t.Errorf("diffs %+v, want %+v", got, tt.diffs)
			}
		})
	}
}
