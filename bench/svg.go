package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// point is one (x, y) of a chart series.
type point struct{ X, Y float64 }

// line is one series of a chart.
type line struct {
	Name   string
	Points []point
	Step   bool // hold each value until the next point (counts), instead of joining points straight
}

// guide is a vertical marker line with a label, such as a percentile.
type guide struct {
	X     float64
	Label string
}

// chart is a line chart rendered as standalone SVG.
type chart struct {
	Title, XLabel, YLabel string
	Lines                 []line
	Guides                []guide
	YMax                  float64 // fixed top of the y axis; 0 fits the data
	Note                  string  // a line of small print under the title
}

// Layout of every chart, in SVG user units.
const (
	chartWidth, chartHeight               = 900, 480
	marginLeft, marginRight               = 70, 210
	marginTop, marginBottom               = 60, 55
	plotWidth                             = chartWidth - marginLeft - marginRight
	plotHeight                            = chartHeight - marginTop - marginBottom
	legendX                               = chartWidth - marginRight + 20
	fontFamily                            = "Helvetica, Arial, sans-serif"
	axisColor, gridColor, textColor, note = "#333", "#ddd", "#222", "#666"
)

// palette colours the lines in order (Tableau 10).
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
	"#1f77b4", "#2ca02c"}

// svg renders c. Every line is a <path class="series"> inside a <g> whose
// data-series attribute is the line's name.
func (c chart) svg() []byte {
	xmax, ymax := 0.0, c.YMax
	for _, l := range c.Lines {
		for _, p := range l.Points {
			xmax = math.Max(xmax, p.X)
			if c.YMax == 0 {
				ymax = math.Max(ymax, p.Y)
			}
		}
	}
	for _, g := range c.Guides {
		xmax = math.Max(xmax, g.X)
	}
	xticks, yticks := ticks(xmax), ticks(ymax)
	xmax, ymax = xticks[len(xticks)-1], yticks[len(yticks)-1]
	px := func(x float64) float64 { return marginLeft + x/xmax*plotWidth }
	py := func(y float64) float64 { return marginTop + plotHeight - y/ymax*plotHeight }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="%s">`+"\n",
		chartWidth, chartHeight, chartWidth, chartHeight, fontFamily)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(c.Title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartWidth, chartHeight)
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="18" fill="%s">%s</text>`+"\n", marginLeft, textColor, esc(c.Title))
	if c.Note != "" {
		fmt.Fprintf(&b, `<text x="%d" y="46" font-size="11" fill="%s">%s</text>`+"\n", marginLeft, note, esc(c.Note))
	}
	b.WriteString(`<g class="grid">` + "\n")
	for _, t := range xticks {
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d" stroke="%s"/>`+"\n", num(px(t)), marginTop, num(px(t)), marginTop+plotHeight, gridColor)
		fmt.Fprintf(&b, `<text x="%s" y="%d" font-size="12" text-anchor="middle" fill="%s">%s</text>`+"\n",
			num(px(t)), marginTop+plotHeight+18, textColor, tickLabel(t))
	}
	for _, t := range yticks {
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s"/>`+"\n", marginLeft, num(py(t)), marginLeft+plotWidth, num(py(t)), gridColor)
		fmt.Fprintf(&b, `<text x="%d" y="%s" font-size="12" text-anchor="end" fill="%s">%s</text>`+"\n",
			marginLeft-8, num(py(t)+4), textColor, tickLabel(t))
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, `<g class="axes" stroke="%s"><line x1="%d" y1="%d" x2="%d" y2="%d"/><line x1="%d" y1="%d" x2="%d" y2="%d"/></g>`+"\n",
		axisColor, marginLeft, marginTop, marginLeft, marginTop+plotHeight, marginLeft, marginTop+plotHeight, marginLeft+plotWidth, marginTop+plotHeight)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" text-anchor="middle" fill="%s">%s</text>`+"\n",
		marginLeft+plotWidth/2, chartHeight-12, textColor, esc(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" font-size="13" text-anchor="middle" fill="%s">%s</text>`+"\n",
		marginTop+plotHeight/2, textColor, esc(c.YLabel))
	for i, g := range c.Guides {
		// Labels step down so that close guides stay readable; near the right
		// edge they end at their line.
		x, anchor := px(g.X)+3, "start"
		if px(g.X) > marginLeft+plotWidth*0.85 {
			x, anchor = px(g.X)-3, "end"
		}
		fmt.Fprintf(&b, `<g class="guide"><line x1="%s" y1="%d" x2="%s" y2="%d" stroke="%s" stroke-dasharray="4 3"/>`+
			`<text x="%s" y="%d" font-size="11" text-anchor="%s" fill="%s" stroke="white" stroke-width="3" paint-order="stroke">%s</text></g>`+"\n",
			num(px(g.X)), marginTop, num(px(g.X)), marginTop+plotHeight, note, num(x), marginTop+12+14*i, anchor, note, esc(g.Label))
	}
	for i, l := range c.Lines {
		color := palette[i%len(palette)]
		fmt.Fprintf(&b, `<g class="line" data-series="%s">`, esc(l.Name))
		fmt.Fprintf(&b, `<path class="series" fill="none" stroke="%s" stroke-width="2" d="%s"/>`, color, pathData(l, px, py))
		ly := marginTop + 10 + i*20
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`, legendX, ly, legendX+18, ly, color)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" fill="%s">%s</text></g>`+"\n", legendX+24, ly+4, textColor, esc(l.Name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// pathData is the d attribute of l's points.
func pathData(l line, px, py func(float64) float64) string {
	var b strings.Builder
	for i, p := range l.Points {
		switch {
		case i == 0:
			fmt.Fprintf(&b, "M%s %s", num(px(p.X)), num(py(p.Y)))
		case l.Step:
			fmt.Fprintf(&b, " H%s V%s", num(px(p.X)), num(py(p.Y)))
		default:
			fmt.Fprintf(&b, " L%s %s", num(px(p.X)), num(py(p.Y)))
		}
	}
	return b.String()
}

// ticks returns 3 to 11 round tick values from 0 to at least top.
func ticks(top float64) []float64 {
	if top <= 0 || math.IsNaN(top) || math.IsInf(top, 0) {
		return []float64{0, 1}
	}
	step := math.Pow(10, math.Floor(math.Log10(top)))
	for _, f := range []float64{1, 2, 5, 10} {
		if top/(step*f/10) <= 10 {
			step = step * f / 10
			break
		}
	}
	var out []float64
	for i := 0; ; i++ {
		v := math.Round(float64(i)*step*1e9) / 1e9 // 0.15, not 0.15000000000000002
		out = append(out, v)
		if v >= top {
			return out
		}
	}
}

func tickLabel(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
