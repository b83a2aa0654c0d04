package fault

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
)

// SQS returns the client option that injects i's faults into SQS calls.
func (i *Injector) SQS() func(*sqs.Options) {
	return func(o *sqs.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("tendlc-fault", i.sqs), middleware.Before)
		})
	}
}

func (i *Injector) sqs(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	if err := i.answerError(); err != nil {
		return middleware.InitializeOutput{}, middleware.Metadata{}, err
	}
	send := false
	switch p := in.Parameters.(type) {
	// Delays change copies: the caller's input stays as it was.
	case *sqs.SendMessageInput:
		send = true
		if i.hit(DelayedSends, i.cfg.DelaySend) {
			c := *p
			c.DelaySeconds = min(c.DelaySeconds+i.delay(), 900)
			in.Parameters = &c
		}
	case *sqs.SendMessageBatchInput:
		send = true
		c := *p
		c.Entries = slices.Clone(p.Entries)
		for e := range c.Entries {
			if i.hit(DelayedSends, i.cfg.DelaySend) {
				c.Entries[e].DelaySeconds = min(c.Entries[e].DelaySeconds+i.delay(), 900)
			}
		}
		in.Parameters = &c
	}
	if send && i.hit(FailedSends, i.cfg.FailSend) {
		return middleware.InitializeOutput{}, middleware.Metadata{}, &Injected{What: "send lost before reaching SQS"}
	}
	out, md, err := next.HandleInitialize(ctx, in)
	if err != nil {
		return out, md, err
	}
	if send && i.hit(DuplicatedSends, i.cfg.DuplicateSend) {
		// The second copy's fate does not change the first's answer.
		_, _, _ = next.HandleInitialize(ctx, in)
	}
	if r, ok := out.Result.(*sqs.ReceiveMessageOutput); ok {
		for _, m := range r.Messages {
			if i.hit(DuplicatedReceives, i.cfg.DuplicateReceive) {
				r.Messages = append(r.Messages, m)
			}
		}
	}
	return out, md, nil
}
