package search

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	valid := map[string]string{
		"1997":                                "1997-01-01T00:00:00Z",
		"0000":                                "0000-01-01T00:00:00Z",
		"9999-12-31":                          "9999-12-31T00:00:00Z",
		"1997-07":                             "1997-07-01T00:00:00Z",
		"2004-02-29":                          "2004-02-29T00:00:00Z",
		"1997-07-16T19:20+01:00":              "1997-07-16T18:20:00Z",
		"1997-07-16T19:20:30+01:00":           "1997-07-16T18:20:30Z",
		"1997-07-16T19:20:30.45+01:00":        "1997-07-16T18:20:30.45Z",
		"1997-07-16T19:20:30.4Z":              "1997-07-16T19:20:30.4Z",
		"1997-07-16T19:20:30.123456789Z":      "1997-07-16T19:20:30.123456789Z",
		"1997-07-16T19:20:30.1234567891Z":     "1997-07-16T19:20:30.123456789Z",
		"1997-07-16T23:59:59-23:59":           "1997-07-17T23:58:59Z",
		"1997-07-16T00:00Z":                   "1997-07-16T00:00:00Z",
		"2003-01-31T00:00:00.000000000+00:00": "2003-01-31T00:00:00Z",
	}
	for in, want := range valid {
		got, err := parseDate(in)
		if err != nil {
			t.Errorf("parseDate(%q): %v", in, err)
			continue
		}
		if !got.Equal(date(want)) || got.Location() != time.UTC {
			t.Errorf("parseDate(%q) = %v, want %v", in, got, want)
		}
	}
	invalid := []string{
		"", "97", "19970", "1997-7", "1997-07-1", "1997-13", "1997-00", "1997-07-00",
		"1997-02-29", "2003-02-328", "1997/07/16", "1997-07-16T", "1997-07-16T19",
		"1997-07-16T19:20", "1997-07-16T19:20:30", "1997-07-16 19:20Z", "1997-07-16t19:20Z",
		"1997-07-16T24:00Z", "1997-07-16T19:60Z", "1997-07-16T19:20:60Z", "1997-07-16T19:20:30.Z",
		"1997-07-16T19:20:30,5Z", "1997-07-16T19:20+0100", "1997-07-16T19:20+01", "1997-07-16T19:20+24:00",
		"1997-07-16T19:20+01:60", "1997-07-16T19:20z", "1997-07-16T19:20ZZ", "+1997", "-1997", " 1997",
		"1997-07-16T19:20:30.45+01:00 ", "１９９７",
		"0000-01-01T00:00+00:01", "9999-12-31T23:59-00:01",
	}
	for _, in := range invalid {
		if got, err := parseDate(in); err == nil {
			t.Errorf("parseDate(%q) = %v, want an error", in, got)
		}
	}
}

func TestFormatDate(t *testing.T) {
	for _, s := range []string{"0001-01-01T00:00:00Z", "2003-02-28T12:34:56.7Z", "9999-12-31T23:59:59.9999999Z"} {
		in := date(s)
		out, err := formatDate(in)
		if err != nil {
			t.Fatalf("formatDate(%v): %v", in, err)
		}
		back, err := parseDate(out)
		if err != nil || !back.Equal(in) {
			t.Fatalf("formatDate(%v) = %q, reads back as %v, %v", in, out, back, err)
		}
	}
	if out, err := formatDate(time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Fatalf("formatDate(year -1) = %q", out)
	}
	// A time in another zone is written at its instant in UTC.
	out, err := formatDate(time.Date(2000, 1, 1, 1, 0, 0, 0, time.FixedZone("", 3600)))
	if err != nil || out != "2000-01-01T00:00:00Z" {
		t.Fatalf("formatDate = %q, %v", out, err)
	}
}
