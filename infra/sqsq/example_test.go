package sqsq_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// printingSQS stands in for *sqs.Client: it prints what would be sent.
type printingSQS struct{ sqsq.API }

func (printingSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	fmt.Printf("SendMessageBatch to %s\n", aws.ToString(in.QueueUrl))
	for _, e := range in.Entries {
		var names []string
		for name := range e.MessageAttributes {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			v := e.MessageAttributes[name]
			if name == statemachine.AttrEventID {
				fmt.Printf("  %s: (%d characters)\n", name, len(aws.ToString(v.StringValue)))
				continue
			}
			fmt.Printf("  %s: %s (%s)\n", name, aws.ToString(v.StringValue), aws.ToString(v.DataType))
		}
	}
	return &sqs.SendMessageBatchOutput{}, nil
}

func ExampleProducer() {
	// In production: sqsq.NewProducer(awsclient.SQS(cfg), eventsQueueURL).
	p, err := sqsq.NewProducer(printingSQS{}, "https://sqs.us-east-1.amazonaws.com/123456789012/prod-events")
	if err != nil {
		fmt.Println(err)
		return
	}
	payload, err := json.Marshal(statemachine.BrandRegistration{
		LegalName:  "Acme Corp",
		EIN:        "12-3456789",
		Email:      "compliance@acme.example",
		EntityType: "PRIVATE_PROFIT",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// EventID, SchemaVersion and OccurredAt are filled in.
	err = p.Send(context.Background(), statemachine.Envelope{
		Type:          statemachine.BrandRegister,
		EntityID:      "brand-42",
		CorrelationID: "signup-7",
		Actor:         "producer",
		Payload:       payload,
	})
	fmt.Println("error:", err)
	// Output:
	// SendMessageBatch to https://sqs.us-east-1.amazonaws.com/123456789012/prod-events
	//   correlation_id: signup-7 (String)
	//   entity_id: brand-42 (String)
	//   event_id: (36 characters)
	//   event_type: brand.register (String)
	//   schema_version: 1 (Number)
	// error: <nil>
}
