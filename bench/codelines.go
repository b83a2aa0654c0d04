package bench

import (
	"go/scanner"
	"go/token"
)

// codeLines counts the lines of Go source src that hold code: not blank, and
// not only comments. A line inside a multi-line string literal holds code. It
// fails when src does not scan as Go.
func codeLines(src []byte) (int, error) {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var errs scanner.ErrorList
	var s scanner.Scanner
	s.Init(file, src, errs.Add, 0) // mode 0: comments are skipped
	lines := map[int]bool{}
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit == "\n" {
			continue // inserted at a line's end, or at the end of the file
		}
		for l := file.Line(pos); l <= file.Line(pos+token.Pos(max(len(lit)-1, 0))); l++ {
			lines[l] = true
		}
	}
	if err := errs.Err(); err != nil {
		return 0, err
	}
	return len(lines), nil
}
