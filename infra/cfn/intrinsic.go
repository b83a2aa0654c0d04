package cfn

import (
	"strings"
	"unicode"
)

// object is a JSON object of the template. encoding/json writes map keys
// sorted, which makes the output deterministic.
type object = map[string]any

// ref is {"Ref": id}: a resource's primary value (a queue's URL, a table's
// name, a managed policy's ARN) or a parameter's value.
func ref(id string) object { return object{"Ref": id} }

// getAtt is {"Fn::GetAtt": [id, attribute]}.
func getAtt(id, attribute string) object { return object{"Fn::GetAtt": []string{id, attribute}} }

// sub is {"Fn::Sub": s}, which substitutes ${Id} and ${Id.Attribute}.
func sub(s string) object { return object{"Fn::Sub": s} }

// resource is a resource declaration of type typ.
func resource(typ string, properties object) object {
	return object{"Type": typ, "Properties": properties}
}

// logicalID derives a CloudFormation logical id (alphanumeric) from a logical
// name and a suffix naming the resource type: ("events-dlq", "Queue") is
// "EventsDlqQueue".
func logicalID(name, suffix string) string {
	var id strings.Builder
	for _, word := range strings.FieldsFunc(name, func(r rune) bool {
		return r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		id.WriteString(strings.ToUpper(word[:1]) + word[1:])
	}
	id.WriteString(suffix)
	return id.String()
}

// policyDocument is an IAM policy document of Allow statements.
func policyDocument(statements ...object) object {
	return object{"Version": "2012-10-17", "Statement": statements}
}

// allow is one Allow statement. Every resource is named: no statement of this
// template uses "*".
func allow(sid string, actions []string, resources []any) object {
	return object{"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
}
