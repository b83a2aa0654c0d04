package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/infra/sqsq"
)

var _ = register(&Command{
	Path:     "provision",
	Summary:  "create the queues and the table of a deployment, and report drift",
	Synopsis: "[--prefix P] [-o table|json]",
	Help: `
Create what is missing of the deployment whose resource names start with the
prefix: every queue with its dead-letter queue (each dead-letter queue first),
then the DynamoDB table with its indexes and TTL, as infra/resources defines them.
A resource that exists is compared with the resource set and never changed.

It prints one row per queue and per aspect of the table (table, keys,
billing, each index, ttl) with what it did: created, unchanged, or drift with
the differences (want, then got). Running it again changes nothing.

Exit status 1 when anything drifted: provision does not modify existing
resources, so change them by hand to the wanted values (or delete them and
provision again), or deploy with the CloudFormation template instead
(regctl infra template).

JSON output (-o json):
  prefix        the resource name prefix
  drift         true if any row has action "drift"
  rows[]        in order: the queues as the resource set lists them, then the table
    resource    "queue" or "table"
    name        physical name
    aspect      "queue" for a queue; "table", "keys", "billing",
                "index <name>" or "ttl" for the table
    action      "created", "unchanged" or "drift"
    differences [] of {field, want, got}: queue attributes or the table
                aspect that differ from the resource set (empty unless drift)

Examples:
  regctl provision
  regctl --prefix staging- provision -o json
  AWS_ENDPOINT_URL_SQS=http://127.0.0.1:9324 AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:8000 \
    regctl --prefix dev- provision
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		prefix := env.PrefixFlag(fs)
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			d, err := connect(ctx, *prefix)
			if err != nil {
				return err
			}
			rep := provisionReport{Prefix: *prefix, Rows: []provisionRow{}}
			queues, err := sqsq.Provision(ctx, d.sqs, d.set)
			rep.addQueues(queues)
			if err == nil {
				var table dynamo.Report
				table, err = dynamo.Provision(ctx, d.db, d.set)
				rep.addTable(table)
			}
			if *output == formatJSON {
				err = errors.Join(err, printJSON(env.Stdout, rep))
			} else {
				err = errors.Join(err, rep.writeTable(env.Stdout))
			}
			if err != nil {
				return err
			}
			if n := rep.drifted(); n > 0 {
				return fmt.Errorf("drift in %d of the rows above: provision leaves existing resources alone; "+
					"change them by hand to the wanted values, or delete them and provision again", n)
			}
			return nil
		}
	},
})

// actionDrift is the action of a drifted queue (sqsq.Drifted) and of a
// drifted table aspect (dynamo.Drift) alike.
const actionDrift = "drift"

// provisionReport is the output of provision.
type provisionReport struct {
	Prefix string         `json:"prefix"`
	Drift  bool           `json:"drift"`
	Rows   []provisionRow `json:"rows"`
}

// provisionRow is one queue, or one aspect of the table.
type provisionRow struct {
	Resource    string          `json:"resource"`
	Name        string          `json:"name"`
	Aspect      string          `json:"aspect"`
	Action      string          `json:"action"`
	Differences []provisionDiff `json:"differences"`
}

// provisionDiff is one field of a resource that differs from the resource set.
type provisionDiff struct {
	Field string `json:"field"`
	Want  string `json:"want"`
	Got   string `json:"got"`
}

func (r *provisionReport) add(row provisionRow) {
	if row.Differences == nil {
		row.Differences = []provisionDiff{}
	}
	r.Rows = append(r.Rows, row)
	r.Drift = r.Drift || row.Action == actionDrift
}

func (r *provisionReport) addQueues(rep sqsq.Report) {
	for _, q := range rep.Queues {
		row := provisionRow{Resource: "queue", Name: q.Name, Aspect: "queue", Action: string(q.Action)}
		for _, d := range q.Diffs {
			row.Differences = append(row.Differences, provisionDiff{Field: d.Attribute, Want: d.Want, Got: d.Got})
		}
		r.add(row)
	}
}

func (r *provisionReport) addTable(rep dynamo.Report) {
	for _, a := range rep.Results {
		row := provisionRow{Resource: "table", Name: rep.Table, Aspect: a.Aspect, Action: string(a.Action)}
		if a.Action == dynamo.Drift {
			row.Differences = []provisionDiff{{Field: a.Aspect, Want: a.Want, Got: a.Got}}
		}
		r.add(row)
	}
}

// drifted counts the rows that differ from the resource set.
func (r *provisionReport) drifted() int {
	n := 0
	for _, row := range r.Rows {
		if row.Action == actionDrift {
			n++
		}
	}
	return n
}

// writeTable prints a row per queue and table aspect, and a line per
// difference.
func (r *provisionReport) writeTable(w io.Writer) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "RESOURCE\tNAME\tASPECT\tACTION\tDIFFERENCES")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t", row.Resource, row.Name, row.Aspect, row.Action)
		if len(row.Differences) == 0 {
			fmt.Fprintln(tw, "-")
		}
		for i, d := range row.Differences {
			if i > 0 {
				fmt.Fprint(tw, "\t\t\t\t")
			}
			fmt.Fprintf(tw, "%s: want %q, got %q\n", d.Field, d.Want, d.Got)
		}
	}
	return tw.Flush()
}
