package sqsq

import (
	"testing"

	"github.com/tendlc/tendlc/statemachine"
)

// A copy's schema version is a Number only when SQS takes it as one: a
// foreign producer's version that is no whole number was sent as a String,
// and a Number would make SQS refuse the copy, the dead letter and the
// redrive alike.
func TestAttributeValueKeepsWhatSQSAccepts(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{statemachine.AttrSchemaVersion, "1", "Number"},
		{statemachine.AttrSchemaVersion, "12", "Number"},
		{statemachine.AttrSchemaVersion, "v1", "String"},
		{statemachine.AttrSchemaVersion, "1.0", "String"},
		{statemachine.AttrSchemaVersion, "NaN", "String"},
		{statemachine.AttrEventType, "1", "String"},
	} {
		v := attributeValue(tt.name, tt.value)
		if got := *v.DataType; got != tt.want || *v.StringValue != tt.value {
			t.Errorf("attributeValue(%s, %q) = %s %q, want %s %q", tt.name, tt.value, got, *v.StringValue, tt.want, tt.value)
		}
	}
}
