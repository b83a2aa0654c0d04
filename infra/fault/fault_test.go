package fault_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/resources"
)

func TestParse(t *testing.T) {
	c, err := fault.Parse("dup-send=0.05, delay-send=0.1,max-delay=3s,fail-send=0.02,dup-receive=0.5,throttle=0.01,5xx=0.02,stale-read=0.3,seed=7")
	if err != nil {
		t.Fatal(err)
	}
	want := fault.Config{Seed: 7, DuplicateSend: 0.05, DelaySend: 0.1, MaxExtraDelay: 3 * time.Second, FailSend: 0.02,
		DuplicateReceive: 0.5, Throttle: 0.01, ServerError: 0.02, StaleRead: 0.3}
	if c != want {
		t.Errorf("Parse = %+v, want %+v", c, want)
	}
	for _, bad := range []string{"dup-send=2", "nope=0.1", "max-delay=1h", "seed=x", "throttle"} {
		if _, err := fault.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
	if c, err := fault.Parse(""); err != nil || c.Enabled() {
		t.Errorf("Parse(\"\") = %+v, %v; want no fault", c, err)
	}
}

// Only accepts the faults it names (and max-delay, seed) and names every
// other one configured.
func TestOnly(t *testing.T) {
	for _, tc := range []struct {
		spec string
		ok   bool
	}{
		{"dup-send=1,delay-send=0.5,max-delay=2s,seed=3", true},
		{"", true},
		{"dup-send=0.1,fail-send=0.1", false},
		{"throttle=0.1", false},
	} {
		c, err := fault.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Only(fault.DuplicatedSends, fault.DelayedSends); (err == nil) != tc.ok {
			t.Errorf("Only(%q) = %v, want ok %v", tc.spec, err, tc.ok)
		}
	}
}

// queue creates a queue with a client that injects cfg.
func queue(t *testing.T, cfg fault.Config) (*sqs.Client, *sqs.Client, string, *fault.Injector) {
	t.Helper()
	plain := awstest.SQS(t)
	inj := fault.New(cfg)
	faulty := awsclient.SQS(awstest.Config(t), inj.SQS())
	out, err := plain.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(awstest.Prefix(t) + "q")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = plain.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
	return plain, faulty, aws.ToString(out.QueueUrl), inj
}

func depth(t *testing.T, c *sqs.Client, url string) (visible, delayed string) {
	t.Helper()
	a, err := c.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"}})
	if err != nil {
		t.Fatal(err)
	}
	return a.Attributes["ApproximateNumberOfMessages"], a.Attributes["ApproximateNumberOfMessagesDelayed"]
}

func TestSQSFaults(t *testing.T) {
	send := &sqs.SendMessageInput{MessageBody: aws.String("hello")}
	t.Run("a duplicated send arrives twice", func(t *testing.T) {
		plain, faulty, url, inj := queue(t, fault.Config{DuplicateSend: 1})
		send.QueueUrl = aws.String(url)
		if _, err := faulty.SendMessage(t.Context(), send); err != nil {
			t.Fatal(err)
		}
		if v, _ := depth(t, plain, url); v != "2" {
			t.Errorf("queue holds %s messages, want 2", v)
		}
		if got := inj.Counts()[fault.DuplicatedSends]; got != 1 {
			t.Errorf("counted %d duplicated sends, want 1", got)
		}
	})
	t.Run("a failed send never arrives", func(t *testing.T) {
		plain, faulty, url, _ := queue(t, fault.Config{FailSend: 1})
		send.QueueUrl = aws.String(url)
		_, err := faulty.SendMessage(t.Context(), send)
		if inj := (*fault.Injected)(nil); !errors.As(err, &inj) {
			t.Fatalf("err = %v, want *fault.Injected", err)
		}
		if v, d := depth(t, plain, url); v != "0" || d != "0" {
			t.Errorf("queue holds %s visible and %s delayed, want none", v, d)
		}
	})
	t.Run("a delayed send is held back", func(t *testing.T) {
		plain, faulty, url, _ := queue(t, fault.Config{DelaySend: 1, MaxExtraDelay: 30 * time.Second})
		send.QueueUrl = aws.String(url)
		if _, err := faulty.SendMessage(t.Context(), send); err != nil {
			t.Fatal(err)
		}
		if v, d := depth(t, plain, url); v != "0" || d != "1" {
			t.Errorf("queue holds %s visible and %s delayed, want 0 and 1", v, d)
		}
	})
	t.Run("a received message is handed out twice", func(t *testing.T) {
		plain, faulty, url, _ := queue(t, fault.Config{DuplicateReceive: 1})
		send.QueueUrl = aws.String(url)
		if _, err := plain.SendMessage(t.Context(), send); err != nil {
			t.Fatal(err)
		}
		out, err := faulty.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 2 || aws.ToString(out.Messages[0].MessageId) != aws.ToString(out.Messages[1].MessageId) {
			t.Errorf("received %d messages, want the same one twice", len(out.Messages))
		}
	})
	t.Run("throttling and server errors reach the caller", func(t *testing.T) {
		_, throttled, url, _ := queue(t, fault.Config{Throttle: 1})
		_, err := throttled.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
			t.Errorf("err = %v, want ThrottlingException", err)
		}
		_, failing, url, _ := queue(t, fault.Config{ServerError: 1})
		_, err = failing.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url)})
		var status interface{ HTTPStatusCode() int }
		if !errors.As(err, &status) || status.HTTPStatusCode() != http.StatusInternalServerError {
			t.Errorf("err = %v, want an HTTP 500", err)
		}
	})
}

func TestStaleReadServesThePreviousItem(t *testing.T) {
	plain := awstest.DynamoDB(t)
	s := resources.Default(awstest.Prefix(t))
	if _, err := dynamo.Provision(t.Context(), plain, s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = plain.DeleteTable(t.Context(), &dynamodb.DeleteTableInput{TableName: aws.String(s.TableName())})
	})
	inj := fault.New(fault.Config{StaleRead: 1})
	faulty := awsclient.DynamoDB(awstest.Config(t), inj.DynamoDB())
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}, "sk": &types.AttributeValueMemberS{Value: "record"}}
	put := func(v string) {
		item := map[string]types.AttributeValue{"pk": key["pk"], "sk": key["sk"], "v": &types.AttributeValueMemberS{Value: v}}
		if _, err := plain.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(s.TableName()), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	get := func() string {
		out, err := faulty.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(s.TableName()), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item["v"].(*types.AttributeValueMemberS).Value
	}
	put("v1")
	if got := get(); got != "v1" {
		t.Fatalf("first read = %s, want v1 (nothing older to serve)", got)
	}
	put("v2")
	if got := get(); got != "v1" {
		t.Errorf("read after the change = %s, want the stale v1", got)
	}
	if got := inj.Counts()[fault.StaleReads]; got != 1 {
		t.Errorf("counted %d stale reads, want 1", got)
	}
}
