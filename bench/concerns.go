package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
)

// ConcernsFile is the mapping of every system's files to concerns, relative
// to the repository root: its comments give the format and what each
// system's files are.
const ConcernsFile = "bench/concerns.txt"

// ConcernCount is the code of one concern in one system.
type ConcernCount struct {
	Concern string   // the concern's title
	Files   []string // relative to the repository root, sorted
	Lines   int      // non-blank, non-comment lines of Files
	// Note is what the mapping says of the code beyond Files: code in a
	// file of another concern, or reused and counted in another system;
	// "" for nothing.
	Note string
}

// CodeSize is the code of every system ConcernsFile names: per system, the
// count of every concern, in the mapping's order (a concern without files
// of the system counts 0).
type CodeSize map[string][]ConcernCount

// CountCode counts the code of every system of the repository root by
// concern, as its ConcernsFile maps the files: the non-blank, non-comment
// lines of the non-test .go files each line of a system matches. A file
// matched again by a later line of the same system counts once, under the
// first. It fails when the mapping cannot be read or parsed, or a file
// cannot be read or scanned as Go.
func CountCode(root fs.FS) (CodeSize, error) {
	text, err := fs.ReadFile(root, ConcernsFile)
	if err != nil {
		return nil, err
	}
	m, err := parseConcerns(string(text))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConcernsFile, err)
	}
	files, _ := m.assign(root)
	size := CodeSize{}
	for _, sys := range m.systems() {
		counts := make([]ConcernCount, len(m.concerns))
		for i, c := range m.concerns {
			counts[i].Concern, counts[i].Note = c.title, m.notes[sys+" "+c.key]
		}
		for _, f := range slices.Sorted(maps.Keys(files[sys])) {
			i := m.index(files[sys][f])
			src, err := fs.ReadFile(root, f)
			if err != nil {
				return nil, err
			}
			n, err := codeLines(src)
			if err != nil {
				return nil, fmt.Errorf("count %s: %w", f, err)
			}
			counts[i].Files = append(counts[i].Files, f)
			counts[i].Lines += n
		}
		size[sys] = counts
	}
	return size, nil
}

// concernMap is a parsed ConcernsFile.
type concernMap struct {
	concerns []concernDecl
	lines    []concernLine
	notes    map[string]string // by "SYSTEM KEY"
}

// concernDecl is a "concern KEY TITLE..." line.
type concernDecl struct{ key, title string }

// concernLine is a "SYSTEM KEY GLOB..." line.
type concernLine struct {
	number          int // in the file, from 1
	system, concern string
	globs           []string
}

// parseConcerns parses the text of a ConcernsFile. An "include SYSTEM
// OTHER" line gives SYSTEM every line of OTHER above it, in order, as if
// written there for SYSTEM (not OTHER's notes). It fails, naming every bad
// line, on a line with too few fields, a concern declared twice or not
// declared before its use, a second note on a system's concern, an include
// of a system with no lines above or of itself, and a glob path.Match
// rejects.
func parseConcerns(text string) (concernMap, error) {
	m := concernMap{notes: map[string]string{}}
	var errs []error
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		content, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(content)
		switch {
		case len(f) == 0:
		case len(f) < 3:
			errs = append(errs, fmt.Errorf("line %d: %q: want concern KEY TITLE or SYSTEM KEY GLOB...", n, strings.TrimSpace(content)))
		case f[0] == "concern":
			if m.index(f[1]) >= 0 {
				errs = append(errs, fmt.Errorf("line %d: concern %s declared again", n, f[1]))
				continue
			}
			m.concerns = append(m.concerns, concernDecl{key: f[1], title: strings.Join(f[2:], " ")})
		case f[0] == "include":
			n0 := len(m.lines)
			for _, l := range m.lines[:n0] {
				if l.system == f[2] && f[1] != f[2] {
					l.system = f[1]
					m.lines = append(m.lines, l)
				}
			}
			if len(m.lines) == n0 {
				errs = append(errs, fmt.Errorf("line %d: include %s %s: no lines of %s above", n, f[1], f[2], f[2]))
			}
		case f[0] == "note":
			key := f[1] + " " + f[2]
			switch {
			case len(f) < 4:
				errs = append(errs, fmt.Errorf("line %d: want note SYSTEM KEY TEXT", n))
			case m.index(f[2]) < 0:
				errs = append(errs, fmt.Errorf("line %d: concern %s not declared above", n, f[2]))
			case m.notes[key] != "":
				errs = append(errs, fmt.Errorf("line %d: a second note on %s", n, key))
			default:
				m.notes[key] = strings.Join(f[3:], " ")
			}
		default:
			if m.index(f[1]) < 0 {
				errs = append(errs, fmt.Errorf("line %d: concern %s not declared above", n, f[1]))
			}
			for _, g := range f[2:] {
				if _, err := path.Match(g, ""); err != nil {
					errs = append(errs, fmt.Errorf("line %d: glob %q: %w", n, g, err))
				}
			}
			m.lines = append(m.lines, concernLine{number: n, system: f[0], concern: f[1], globs: f[2:]})
		}
	}
	return m, errors.Join(errs...)
}

// index returns the position of concern key, or -1.
func (m concernMap) index(key string) int {
	return slices.IndexFunc(m.concerns, func(c concernDecl) bool { return c.key == key })
}

// systems returns the systems the mapping names, in order of appearance.
func (m concernMap) systems() []string {
	var out []string
	for _, l := range m.lines {
		if !slices.Contains(out, l.system) {
			out = append(out, l.system)
		}
	}
	return out
}

// mappingProblem is a glob of a system that matches no file, or a file a
// system's lines match more than once.
type mappingProblem struct{ system, problem string }

// assign maps every file the lines match to its concern, per system: the
// first line that matches a file wins. It returns the problems it met.
func (m concernMap) assign(root fs.FS) (map[string]map[string]string, []mappingProblem) {
	files := map[string]map[string]string{}
	var problems []mappingProblem
	for _, l := range m.lines {
		if files[l.system] == nil {
			files[l.system] = map[string]string{}
		}
		for _, g := range l.globs {
			matches, _ := fs.Glob(root, g) // the only error is a bad pattern, which parseConcerns refused
			n := 0
			for _, f := range matches {
				if !isCode(f) {
					continue
				}
				n++
				if prev, ok := files[l.system][f]; ok {
					problems = append(problems, mappingProblem{l.system, fmt.Sprintf("line %d: %s, already under %s, matched again by %s", l.number, f, prev, g)})
					continue
				}
				files[l.system][f] = l.concern
			}
			if n == 0 {
				problems = append(problems, mappingProblem{l.system, fmt.Sprintf("line %d: %s matches no file", l.number, g)})
			}
		}
	}
	return files, problems
}

// isCode reports whether the file at path f is code the mapping counts: a
// .go file, not a test.
func isCode(f string) bool { return strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") }
