package sqsq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/resources"
)

// Action is what [Provision] did with a queue.
type Action string

// The actions.
const (
	Created   Action = "created"   // the queue did not exist and was created
	Unchanged Action = "unchanged" // the queue exists as specified
	Drifted   Action = "drift"     // the queue exists with other attributes; it was left alone
)

// Diff is one attribute of a queue that differs from the resource set.
type Diff struct {
	Attribute string
	Want, Got string
}

// QueueReport is what Provision found and did for one queue.
type QueueReport struct {
	Logical string // logical name in the resource set
	Name    string // physical name
	URL     string
	Action  Action
	Diffs   []Diff // for Drifted, sorted by attribute
}

// Report is the outcome of Provision: one row per queue, in the set's order.
type Report struct {
	Queues []QueueReport
}

// attrRedrivePolicy is compared as JSON, not as text.
const attrRedrivePolicy = "RedrivePolicy"

// Provision creates the queues of s that do not exist, each dead-letter queue
// before the queues that use it, with the attributes of the resource set. A queue that
// exists is compared with the resource set and left unchanged: the report lists every
// difference. Running it again changes nothing. It stops at the first error
// (a failed call, or a queue whose dead-letter queue the resource set does not define
// before it) and returns the report so far.
func Provision(ctx context.Context, api API, s resources.Set) (Report, error) {
	var rep Report
	arns := make(map[string]string) // logical name -> ARN
	for _, q := range s.Queues {
		dlqARN := ""
		if !q.IsDLQ() {
			var ok bool
			if dlqARN, ok = arns[q.DeadLetter]; !ok {
				return rep, fmt.Errorf("provision queue %s: dead-letter queue %q is not defined before it", q.Logical, q.DeadLetter)
			}
		}
		row, arn, err := provisionQueue(ctx, api, s.QueueName(q.Logical), q.Attributes(dlqARN))
		if err != nil {
			return rep, fmt.Errorf("provision queue %s: %w", q.Logical, err)
		}
		row.Logical = q.Logical
		rep.Queues = append(rep.Queues, row)
		arns[q.Logical] = arn
	}
	return rep, nil
}

// provisionQueue creates or compares one queue and returns its ARN.
func provisionQueue(ctx context.Context, api API, name string, want map[string]string) (QueueReport, string, error) {
	row := QueueReport{Name: name}
	got, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	switch _, missing := errors.AsType[*types.QueueDoesNotExist](err); {
	case missing:
		created, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: want})
		if err != nil {
			return row, "", fmt.Errorf("create: %w", err)
		}
		row.URL, row.Action = aws.ToString(created.QueueUrl), Created
	case err != nil:
		return row, "", fmt.Errorf("get URL: %w", err)
	default:
		row.URL = aws.ToString(got.QueueUrl)
	}
	attrs, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(row.URL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		return row, "", fmt.Errorf("get attributes: %w", err)
	}
	if row.Action != Created {
		row.Diffs = diffAttributes(want, attrs.Attributes)
		row.Action = Unchanged
		if len(row.Diffs) > 0 {
			row.Action = Drifted
		}
	}
	return row, attrs.Attributes[string(types.QueueAttributeNameQueueArn)], nil
}

// diffAttributes compares the wanted attributes with a queue's, and a redrive
// policy the queue has but the resource set does not want.
func diffAttributes(want, got map[string]string) []Diff {
	var diffs []Diff
	names := slices.Sorted(maps.Keys(want))
	if _, ok := want[attrRedrivePolicy]; !ok && got[attrRedrivePolicy] != "" {
		names = append(names, attrRedrivePolicy)
	}
	for _, name := range names {
		w, g := want[name], got[name]
		same := w == g
		if name == attrRedrivePolicy {
			same = sameRedrivePolicy(w, g)
		}
		if !same {
			diffs = append(diffs, Diff{Attribute: name, Want: w, Got: g})
		}
	}
	return diffs
}

// sameRedrivePolicy compares two redrive policies by meaning: SQS (and its
// emulators) may write maxReceiveCount as a number or as a string.
func sameRedrivePolicy(a, b string) bool {
	pa, errA := parseRedrivePolicy(a)
	pb, errB := parseRedrivePolicy(b)
	if errA != nil || errB != nil {
		return a == b
	}
	return pa == pb
}

type redrivePolicy struct {
	target          string
	maxReceiveCount int
}

func parseRedrivePolicy(s string) (redrivePolicy, error) {
	if s == "" {
		return redrivePolicy{}, nil
	}
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return redrivePolicy{}, err
	}
	n, err := strconv.Atoi(strings.Trim(string(raw.MaxReceiveCount), `"`))
	if err != nil {
		return redrivePolicy{}, err
	}
	return redrivePolicy{target: raw.DeadLetterTargetArn, maxReceiveCount: n}, nil
}

// QueueURLs returns the URL of every queue of s by logical name. It returns
// an error wrapping *types.QueueDoesNotExist if one is missing.
func QueueURLs(ctx context.Context, api API, s resources.Set) (map[string]string, error) {
	urls := make(map[string]string, len(s.Queues))
	for _, q := range s.Queues {
		out, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(s.QueueName(q.Logical))})
		if err != nil {
			return nil, fmt.Errorf("get URL of queue %s: %w", q.Logical, err)
		}
		urls[q.Logical] = aws.ToString(out.QueueUrl)
	}
	return urls, nil
}
