package resizer

import (
	"net/url"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		query string
		want  Options
	}{
		{"w=300", Options{Width: 300}},
		{"w=300&h=200&fit=contain&gravity=north&format=webp&q=70", Options{Width: 300, Height: 200, Fit: FitContain, Gravity: GravityNorth, Format: WebP, Quality: 70}},
		{"width=10&height=20&f=jpg&g=center&dpr=2&bg=000&enlarge=1", Options{Width: 10, Height: 20, Format: JPEG, DPR: 2, Background: Colour{0, 0, 0, 255}, Enlarge: true}},
		{"w=1&format=auto&progressive=true&lossless=yes&bg=%23ff000080", Options{Width: 1, Format: FormatAuto, Progressive: true, Lossless: true, Background: Colour{255, 0, 0, 128}}},
		{"dpr=1.333", Options{DPR: 1.33}},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		got, err := ParseQuery(q)
		if err != nil {
			t.Errorf("%s: %v", tt.query, err)
			continue
		}
		if want := tt.want.Normalize(); got != want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.query, got, want)
		}
	}
}

func TestParseQueryRefuses(t *testing.T) {
	for _, query := range []string{
		"w=0", "w=-1", "w=abc", "w=70000", "h=1.5", "fit=crop", "gravity=up", "format=bmp", "format=heic",
		"q=0", "q=101", "dpr=0.5", "dpr=5", "dpr=NaN", "bg=red", "bg=12345", "enlarge=maybe", "x=1", "w=1&w=2",
	} {
		q, _ := url.ParseQuery(query)
		_, err := ParseQuery(q)
		if ErrorCode(err) != EINVALID {
			t.Errorf("%s: got %v, want an invalid error", query, err)
		}
	}
}

func TestCanonicalFormIgnoresSpelling(t *testing.T) {
	a, _ := url.ParseQuery("h=200&w=300&g=center&f=jpg&bg=FFF")
	b, _ := url.ParseQuery("width=300&height=200&fit=cover&format=jpeg&dpr=1")
	oa, err1 := ParseQuery(a)
	ob, err2 := ParseQuery(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if oa.String() != ob.String() || oa.Key("id") != ob.Key("id") {
		t.Errorf("%s != %s", oa, ob)
	}
	if oa.Key("id") == oa.Key("other") {
		t.Error("the key does not depend on the image id")
	}
}

func TestOutputFormat(t *testing.T) {
	tests := []struct {
		src  Meta
		o    Options
		want Format
	}{
		{Meta{Format: JPEG}, Options{}, JPEG},
		{Meta{Format: PNG, HasAlpha: true}, Options{Format: WebP}, WebP},
		{Meta{Format: HEIC}, Options{}, JPEG},
		{Meta{Format: TIFF, HasAlpha: true}, Options{}, PNG},
		{Meta{Format: GIF}, Options{}, GIF},
	}
	for _, tt := range tests {
		if got := tt.o.OutputFormat(tt.src); got != tt.want {
			t.Errorf("%+v %+v: got %s, want %s", tt.src, tt.o, got, tt.want)
		}
	}
}

// FuzzParseQuery checks that any query either parses to valid options whose
// canonical form is stable, or is refused as invalid; never a panic.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"w=300&h=200", "fit=contain&bg=fff8", "dpr=2.5&q=1", "format=auto", "w=1&w=2", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		o, err := ParseQuery(q)
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("%q: error %v is not invalid", raw, err)
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("%q parsed to invalid options %+v: %v", raw, o, err)
		}
		if o.Normalize().String() != o.String() {
			t.Fatalf("%q: canonical form not stable", raw)
		}
	})
}

func TestQueryRoundTrip(t *testing.T) {
	for _, raw := range []string{"", "w=300", "h=20&w=10&fit=contain&g=north&f=webp&q=70&dpr=2.5&bg=00000080&enlarge=1&progressive=1&lossless=1", "format=auto"} {
		q, _ := url.ParseQuery(raw)
		o, err := ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		q2, _ := url.ParseQuery(o.Query())
		o2, err := ParseQuery(q2)
		if err != nil || o2 != o {
			t.Errorf("%q → %q → %+v (%v), want %+v", raw, o.Query(), o2, err, o)
		}
	}
}
