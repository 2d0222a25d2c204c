package search

import (
	"errors"
	"time"
)

// Dates are written in one of the six formats of the W3C note "Date and
// Time Formats" (http://www.w3.org/TR/NOTE-datetime), which both the
// "Record Attribute Schema" and "Record Search Query Format" pages name:
//
//	YYYY
//	YYYY-MM
//	YYYY-MM-DD
//	YYYY-MM-DDThh:mmTZD
//	YYYY-MM-DDThh:mm:ssTZD
//	YYYY-MM-DDThh:mm:ss.sTZD
//
// where TZD is "Z" or +hh:mm or -hh:mm and s is one or more digits. The
// forms without a time stand for midnight UTC at the start of that year,
// month or day; a date compares as the instant it names. That instant
// must fall in the years 0000-9999 UTC, so every date can be written
// back in these formats.

var errDate = errors.New("not a W3C NOTE-datetime date")

// parseDate parses s in one of the formats above and returns it in UTC.
func parseDate(s string) (time.Time, error) {
	p := dateParser{s: s}
	year := p.digits(4)
	month, day := 1, 1
	if p.more() {
		p.want('-')
		month = p.digits(2)
	}
	if p.more() {
		p.want('-')
		day = p.digits(2)
	}
	hour, min, sec, nsec := 0, 0, 0, 0
	var offset int // seconds east of UTC
	if p.more() {
		p.want('T')
		hour = p.digits(2)
		p.want(':')
		min = p.digits(2)
		if p.peek(':') {
			p.want(':')
			sec = p.digits(2)
			if p.peek('.') {
				p.want('.')
				nsec = p.fraction()
			}
		}
		offset = p.zone()
	}
	if p.err || p.more() || month < 1 || month > 12 || day < 1 ||
		day > daysIn(year, time.Month(month)) || hour > 23 || min > 59 || sec > 59 {
		return time.Time{}, errDate
	}
	t := time.Date(year, time.Month(month), day, hour, min, sec, nsec, time.UTC)
	t = t.Add(-time.Duration(offset) * time.Second)
	if t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, errDate
	}
	return t, nil
}

// formatDate writes t (converted to UTC) in the longest NOTE-datetime
// form, dropping a zero fraction. Years outside 0000-9999 have no form.
func formatDate(t time.Time) (string, error) {
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return "", errDate
	}
	return t.Format("2006-01-02T15:04:05.999999999Z"), nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// dateParser reads fixed-width fields; after the first error it stops
// consuming and every field reads as zero.
type dateParser struct {
	s   string
	i   int
	err bool
}

func (p *dateParser) more() bool { return !p.err && p.i < len(p.s) }

func (p *dateParser) peek(c byte) bool { return p.more() && p.s[p.i] == c }

func (p *dateParser) want(c byte) {
	if !p.peek(c) {
		p.err = true
		return
	}
	p.i++
}

func (p *dateParser) digits(n int) int {
	v := 0
	for range n {
		if !p.more() || p.s[p.i] < '0' || p.s[p.i] > '9' {
			p.err = true
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

// fraction reads one or more digits of a decimal fraction of a second and
// returns nanoseconds; digits past the ninth are read and dropped.
func (p *dateParser) fraction() int {
	v, scale, n := 0, 100_000_000, 0
	for p.more() && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v += int(p.s[p.i]-'0') * scale
		scale /= 10
		n++
		p.i++
	}
	if n == 0 {
		p.err = true
	}
	return v
}

// zone reads a TZD and returns its offset in seconds east of UTC.
func (p *dateParser) zone() int {
	if p.peek('Z') {
		p.i++
		return 0
	}
	sign := 1
	switch {
	case p.peek('+'):
	case p.peek('-'):
		sign = -1
	default:
		p.err = true
		return 0
	}
	p.i++
	h := p.digits(2)
	p.want(':')
	m := p.digits(2)
	if h > 23 || m > 59 {
		p.err = true
	}
	return sign * (h*3600 + m*60)
}
