// Command regctl is the operators' tool for a tendlc deployment: it
// provisions the queues and the table and renders their template, puts
// events on the events queue, shows the state machines and the records,
// finds and re-drives stuck records, decides manual reviews, and reads and
// repairs the queues and their dead-letter queues.
//
// Usage:
//
//	regctl [--prefix P] <command> [flags] [arguments]
//
// The commands (a test keeps this list equal to the dispatcher's):
//
//	provision       create the queues and the table of a deployment, and report drift
//	infra template  write the CloudFormation template of a deployment
//	send            put events on the events queue, as a producer does
//	fsm diagram     draw the state diagram of a record kind
//	fsm matrix      print what every event does in every state of a record kind, or what a flow changes
//	show            show a record, its carrier and number statuses, and its history
//	stuck           list the records waiting longer than their threshold in a watched state
//	redrive         reconcile and re-drive stuck records, by id or all past their threshold
//	sweep           reconcile and re-drive the records stuck in a watched state, or list them
//	review approve  approve a campaign in manual vetting
//	review reject   reject a campaign in manual vetting
//	queues          show the depth of every queue and dead-letter queue
//	dlq list        list the messages of a dead-letter queue
//	dlq show        print one dead letter in full: its facts, error and body
//	dlq redrive     send dead letters back to the queues they failed on, or to a queue you name
//	dlq purge       delete every message of a dead-letter queue
//
// "regctl <command> --help" prints a command's flags and examples.
//
// Each subcommand lives in its own file and registers one [Command] value;
// its path ("infra template") is the words that select it, so subcommands nest
// without further machinery.
package main
