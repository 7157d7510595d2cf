package resizer

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
)

// Fit says how an image is fitted into a width x height box (named as in sharp).
type Fit string

// The fit modes.
const (
	FitCover   Fit = "cover"   // fill the box, crop what overflows (default)
	FitContain Fit = "contain" // fit inside the box, pad with the background
	FitFill    Fit = "fill"    // stretch to the box, ignoring the aspect ratio
	FitInside  Fit = "inside"  // as large as possible within the box, no padding
	FitOutside Fit = "outside" // as small as possible covering the box, no crop
)

// Gravity says which part of the image a crop keeps, or where a padded image sits.
type Gravity string

// The gravities: the centre, eight compass points and two smart crops.
const (
	GravityCentre    Gravity = "centre"
	GravityNorth     Gravity = "north"
	GravityNorthEast Gravity = "northeast"
	GravityEast      Gravity = "east"
	GravitySouthEast Gravity = "southeast"
	GravitySouth     Gravity = "south"
	GravitySouthWest Gravity = "southwest"
	GravityWest      Gravity = "west"
	GravityNorthWest Gravity = "northwest"
	GravityAttention Gravity = "attention" // keep the most eye-catching region
	GravityEntropy   Gravity = "entropy"   // keep the most detailed region
)

// FormatAuto asks for the best output format the client accepts.
const FormatAuto Format = "auto"

// Option bounds.
const (
	MaxDPR          = 4
	DefaultQuality  = 0 // 0 means the per-format default
	maxRequestedDim = 1 << 16
)

// Options is a resize request. The zero value (plus a width or height) is a
// valid request with every default: cover, centre, source format, no enlarging.
type Options struct {
	Width, Height int
	Fit           Fit
	Gravity       Gravity
	Format        Format // FormatUnknown: the source's format (see OutputFormat)
	Quality       int    // 1..100; 0: the format's default
	DPR           float64
	Background    Colour
	Enlarge       bool
	Progressive   bool // progressive JPEG / interlaced PNG
	Lossless      bool // lossless WebP (and AVIF)
}

// Colour is an RGBA colour, 0..255 a channel.
type Colour struct{ R, G, B, A uint8 }

// White is the default background: the colour most pages put images on.
var White = Colour{255, 255, 255, 255}

// Normalize fills in defaults so that two requests meaning the same thing
// compare equal.
func (o Options) Normalize() Options {
	if o.Fit == "" {
		o.Fit = FitCover
	}
	if o.Gravity == "" || o.Gravity == "center" {
		o.Gravity = GravityCentre
	}
	if o.DPR == 0 {
		o.DPR = 1
	}
	if o.Background == (Colour{}) {
		o.Background = White
	}
	return o
}

// Validate checks o (after Normalize) and returns an EINVALID error that names
// the first bad field.
func (o Options) Validate() error {
	switch {
	case o.Width < 0 || o.Width > maxRequestedDim:
		return Errorf(EINVALID, "width must be between 1 and %d", maxRequestedDim)
	case o.Height < 0 || o.Height > maxRequestedDim:
		return Errorf(EINVALID, "height must be between 1 and %d", maxRequestedDim)
	case !validFit(o.Fit):
		return Errorf(EINVALID, "fit must be one of cover, contain, fill, inside, outside")
	case !validGravity(o.Gravity):
		return Errorf(EINVALID, "gravity must be centre, a compass point (north, northeast, …), attention or entropy")
	case o.Format != FormatUnknown && o.Format != FormatAuto && !o.Format.Encodable():
		return Errorf(EINVALID, "format must be one of jpeg, png, webp, avif, gif, auto")
	case o.Quality < 0 || o.Quality > 100:
		return Errorf(EINVALID, "quality must be between 1 and 100")
	case o.DPR < 1 || o.DPR > MaxDPR:
		return Errorf(EINVALID, "dpr must be between 1 and %d", MaxDPR)
	}
	return nil
}

func validFit(f Fit) bool {
	switch f {
	case FitCover, FitContain, FitFill, FitInside, FitOutside:
		return true
	}
	return false
}

func validGravity(g Gravity) bool {
	switch g {
	case GravityCentre, GravityNorth, GravityNorthEast, GravityEast, GravitySouthEast,
		GravitySouth, GravitySouthWest, GravityWest, GravityNorthWest, GravityAttention, GravityEntropy:
		return true
	}
	return false
}

// OutputFormat is the format o produces from a source in src: the requested
// one, else the source's where we can write it, else PNG for images with alpha
// and JPEG for the rest. FormatAuto must be resolved before (see Negotiate).
func (o Options) OutputFormat(src Meta) Format {
	switch {
	case o.Format.Encodable():
		return o.Format
	case src.Format.Encodable():
		return src.Format
	case src.HasAlpha:
		return PNG
	default:
		return JPEG
	}
}

// String is the canonical form of o: every field in a fixed order and
// spelling, so equal requests give equal strings (and cache keys). It is on
// every request's path, so it appends instead of formatting.
func (o Options) String() string {
	o = o.Normalize()
	b := make([]byte, 0, 128)
	b = append(strconv.AppendInt(append(b, "w="...), int64(o.Width), 10), ",h="...)
	b = append(strconv.AppendInt(b, int64(o.Height), 10), ",fit="...)
	b = append(append(b, o.Fit...), ",g="...)
	b = append(append(b, o.Gravity...), ",f="...)
	b = append(append(b, o.Format...), ",q="...)
	b = append(strconv.AppendInt(b, int64(o.Quality), 10), ",dpr="...)
	b = append(strconv.AppendFloat(b, o.DPR, 'f', -1, 64), ",bg="...)
	b = append(o.Background.appendHex(b), ",enlarge="...)
	b = append(strconv.AppendBool(b, o.Enlarge), ",progressive="...)
	b = append(strconv.AppendBool(b, o.Progressive), ",lossless="...)
	return string(strconv.AppendBool(b, o.Lossless))
}

// Key is the identity of one variant: the original's id and the canonical
// options, output format resolved.
func (o Options) Key(imageID string) string {
	sum := sha256.Sum256([]byte(imageID + "|" + o.String()))
	return hex.EncodeToString(sum[:16])
}

// String renders c as hex: RRGGBB, or RRGGBBAA when not opaque.
func (c Colour) String() string { return string(c.appendHex(nil)) }

func (c Colour) appendHex(b []byte) []byte {
	b = hex.AppendEncode(b, []byte{c.R, c.G, c.B})
	if c.A != 255 {
		b = hex.AppendEncode(b, []byte{c.A})
	}
	return b
}

// ParseColour reads a hex colour: RGB, RRGGBB or RRGGBBAA, with or without '#'.
func ParseColour(s string) (Colour, error) {
	s = strings.TrimPrefix(s, "#")
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	if len(s) == 6 {
		s += "ff"
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if len(s) != 8 || err != nil {
		return Colour{}, Errorf(EINVALID, "bg must be a hex colour such as fff, ffffff or ffffff80")
	}
	return Colour{uint8(v >> 24), uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// ParseQuery reads options from URL query parameters: w, h, fit, gravity (or
// g), format (or f), q, dpr, bg, enlarge, progressive, lossless. Unknown
// parameters are refused, so a typo never silently gives a default.
func ParseQuery(q url.Values) (Options, error) {
	var o Options
	for name, vals := range q {
		if len(vals) != 1 {
			return Options{}, Errorf(EINVALID, "%s is given %d times", name, len(vals))
		}
		if err := o.set(name, vals[0]); err != nil {
			return Options{}, err
		}
	}
	o = o.Normalize()
	return o, o.Validate()
}

// set assigns one named option from its text form.
func (o *Options) set(name, v string) error {
	var err error
	switch name {
	case "w", "width":
		o.Width, err = parseDim(name, v)
	case "h", "height":
		o.Height, err = parseDim(name, v)
	case "fit":
		o.Fit = Fit(v)
	case "gravity", "g":
		o.Gravity = Gravity(v)
	case "format", "f":
		o.Format, err = parseOutputFormat(v)
	case "q", "quality":
		o.Quality, err = parseInt(name, v, 1, 100)
	case "dpr":
		o.DPR, err = parseDPR(v)
	case "bg", "background":
		o.Background, err = ParseColour(v)
	case "enlarge":
		o.Enlarge, err = parseBool(name, v)
	case "progressive":
		o.Progressive, err = parseBool(name, v)
	case "lossless":
		o.Lossless, err = parseBool(name, v)
	default:
		return Errorf(EINVALID, "unknown option %q", name)
	}
	return err
}

func parseDim(name, v string) (int, error) { return parseInt(name, v, 1, maxRequestedDim) }

func parseInt(name, v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, Errorf(EINVALID, "%s must be a whole number between %d and %d", name, lo, hi)
	}
	return n, nil
}

func parseDPR(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 1 && f <= MaxDPR) {
		return 0, Errorf(EINVALID, "dpr must be a number between 1 and %d", MaxDPR)
	}
	// Two decimals are plenty and keep the canonical form (and cache) small.
	return float64(int(f*100+0.5)) / 100, nil
}

func parseBool(name, v string) (bool, error) {
	switch v {
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	}
	return false, Errorf(EINVALID, "%s must be true or false", name)
}

func parseOutputFormat(v string) (Format, error) {
	if v == string(FormatAuto) {
		return FormatAuto, nil
	}
	f := ParseFormat(v)
	if !f.Encodable() {
		return FormatUnknown, Errorf(EINVALID, "format must be one of jpeg, png, webp, avif, gif, auto")
	}
	return f, nil
}

// Query is the canonical query string of o: only the fields that differ from
// the defaults, in a fixed order, so that a signed link is short and equal
// options always give the same link. ParseQuery reads it back.
func (o Options) Query() string {
	o = o.Normalize()
	d := Options{}.Normalize()
	var parts []string
	add := func(cond bool, name, value string) {
		if cond {
			parts = append(parts, name+"="+url.QueryEscape(value))
		}
	}
	add(o.Width != 0, "w", strconv.Itoa(o.Width))
	add(o.Height != 0, "h", strconv.Itoa(o.Height))
	add(o.Fit != d.Fit, "fit", string(o.Fit))
	add(o.Gravity != d.Gravity, "gravity", string(o.Gravity))
	add(o.Format != d.Format, "format", string(o.Format))
	add(o.Quality != 0, "q", strconv.Itoa(o.Quality))
	add(o.DPR != d.DPR, "dpr", strconv.FormatFloat(o.DPR, 'f', -1, 64))
	add(o.Background != d.Background, "bg", o.Background.String())
	add(o.Enlarge, "enlarge", "1")
	add(o.Progressive, "progressive", "1")
	add(o.Lossless, "lossless", "1")
	return strings.Join(parts, "&")
}
