package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/parity-eval/parity"
	"github.com/parity-eval/parity/humaneval"
	"github.com/parity-eval/parity/ifeval"
	"github.com/parity-eval/parity/tasks"
)

const tasksUsage = `
Usage: parity tasks [--tasks-file FILE]

Lists the registered tasks and groups (suites), one line each.`

func tasksCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks", tasksUsage, stderr)
	file := fs.String("tasks-file", "", "task registry to use instead of the built-in tasks.yaml")
	if err := fs.Parse(args); err != nil {
		return err
	}
	reg, _, err := loadRegistry(*file)
	if err != nil {
		return err
	}
	return listRegistry(stdout, reg)
}

// listRegistry prints one line per task, then one per group (suites marked).
func listRegistry(w io.Writer, reg *tasks.Registry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tVERSION\tTYPE\tSUMMARY")
	for _, t := range reg.Tasks() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Version, t.OutputType, t.Summary)
	}
	for _, t := range humaneval.Tasks() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Version, "generate_until", t.Summary)
	}
	for _, t := range ifeval.Configs() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Version, t.OutputType, t.Summary)
	}
	fmt.Fprintln(tw, "\nGROUP\tKIND\tTASKS\tSUMMARY")
	for _, g := range reg.Groups() {
		kind := "group"
		if g.Suite {
			kind = "suite"
		}
		names := make([]string, 0, len(g.Leaves()))
		for _, l := range g.Leaves() {
			names = append(names, fmt.Sprintf("%s(%s)", l.Name, shots(l)))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Name, kind, strings.Join(names, ","), g.Summary)
	}
	return tw.Flush()
}

func shots(c *tasks.Config) string {
	if c.NumFewshot == nil {
		return "0-shot"
	}
	return fmt.Sprintf("%d-shot", *c.NumFewshot)
}

func versionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	v, c := buildVersion()
	if c != "" {
		v += " (" + c + ")"
	}
	_, err := fmt.Fprintln(stdout, "parity", v, "— tasks.yaml", len(parity.TasksYAML), "bytes")
	return err
}
