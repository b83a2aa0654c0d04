// Package cfn renders tendlc's AWS resources as a CloudFormation template:
// the queues and the table of infra/resources, least-privilege IAM for regd, the
// webhook shim as a Lambda function behind a function URL, and an alarm on the
// depth of every dead-letter queue.
//
// The template is generated, never edited: the queue attributes come from
// [resources.Queue.Attributes], the same values provisioning applies, so a
// deployment made from the template and one provisioned directly cannot differ.
package cfn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/tendlc/tendlc/infra/resources"
)

// Template returns the CloudFormation template (JSON, indented, keys sorted)
// that declares every resource of s. The output depends only on s, so it can
// be checked in and diffed.
//
// It returns an error when s cannot be deployed: a prefix or physical name
// AWS would refuse, a queue whose dead-letter queue is missing, no events
// queue, a queue attribute with no CloudFormation property, or two resources
// with the same logical id.
func Template(s resources.Set) ([]byte, error) {
	if !prefixRE.MatchString(s.Prefix) {
		return nil, fmt.Errorf("cloudformation template: prefix %q: want letters, digits, - and _ only", s.Prefix)
	}
	b := &builder{set: s, parameters: object{}, conditions: object{}, resources: object{}, outputs: object{}}
	queues := b.queues()
	table := b.table()
	b.regd(queues, table)
	b.webhook(queues)
	b.dlqAlarms(queues)
	if err := errors.Join(b.errs...); err != nil {
		return nil, fmt.Errorf("cloudformation template for prefix %q: %w", s.Prefix, err)
	}
	doc := object{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description": fmt.Sprintf("tendlc resources, physical names prefixed %q. Generated from infra/resources "+
			"by `regctl infra template`: do not edit. Deploy with CAPABILITY_IAM.", s.Prefix),
		"Parameters": b.parameters,
		"Conditions": b.conditions,
		"Resources":  b.resources,
		"Outputs":    b.outputs,
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode cloudformation template: %w", err)
	}
	return buf.Bytes(), nil
}

// builder collects the sections of the template and every problem found on
// the way, so that one call reports all of them.
type builder struct {
	set                                        resources.Set
	parameters, conditions, resources, outputs object
	errs                                       []error
}

func (b *builder) fail(format string, args ...any) {
	b.errs = append(b.errs, fmt.Errorf(format, args...))
}

// resource adds a resource under a logical id not used before.
func (b *builder) resource(id string, r object) {
	if _, dup := b.resources[id]; dup {
		b.fail("two resources with logical id %s", id)
		return
	}
	b.resources[id] = r
}

// output adds an output under a logical id not used before.
func (b *builder) output(id, description string, value any) {
	if _, dup := b.outputs[id]; dup {
		b.fail("two outputs with logical id %s", id)
		return
	}
	b.outputs[id] = object{"Description": description, "Value": value}
}

// Physical-name rules of the services, as their APIs document them. A prefix
// takes the characters all of them allow.
var (
	prefixRE       = regexp.MustCompile(`^[A-Za-z0-9_-]*$`)
	queueNameRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	tableNameRE    = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	functionNameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// name checks a physical name against the rule of its service.
func (b *builder) name(kind, name string, re *regexp.Regexp) {
	if !re.MatchString(name) {
		b.fail("%s name %q does not match %s", kind, name, re)
	}
}
