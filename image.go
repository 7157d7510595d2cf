package resizer

import "bytes"

// Format is an image file format, named by its usual short name.
type Format string

// The formats we recognise. Only some of them can be decoded (see Decodable)
// and fewer encoded (see Encodable).
const (
	FormatUnknown Format = ""
	JPEG          Format = "jpeg"
	PNG           Format = "png"
	WebP          Format = "webp"
	GIF           Format = "gif"
	AVIF          Format = "avif"
	HEIC          Format = "heic"
	TIFF          Format = "tiff"
	SVG           Format = "svg"
	PDF           Format = "pdf"
	JXL           Format = "jxl"
)

// OutputFormats lists the formats we encode, in the order format=auto prefers them.
var OutputFormats = []Format{AVIF, WebP, JPEG, PNG, GIF}

// ParseFormat returns the format named s ("jpg" is accepted for JPEG), or
// FormatUnknown.
func ParseFormat(s string) Format {
	switch s {
	case "jpg", "jpeg":
		return JPEG
	case "png", "webp", "gif", "avif", "heic", "tiff", "svg", "pdf", "jxl":
		return Format(s)
	}
	return FormatUnknown
}

// Encodable reports whether we can write images in f.
func (f Format) Encodable() bool {
	switch f {
	case JPEG, PNG, WebP, AVIF, GIF:
		return true
	}
	return false
}

// Decodable reports whether we accept uploads in f. SVG and PDF are refused on
// purpose: their loaders run scripts or fetch resources and are unsafe on
// untrusted input.
func (f Format) Decodable() bool {
	switch f {
	case JPEG, PNG, WebP, GIF, AVIF, HEIC, TIFF:
		return true
	}
	return false
}

// CanAnimate reports whether f can hold several frames.
func (f Format) CanAnimate() bool { return f == GIF || f == WebP }

// HasAlpha reports whether f can carry transparency.
func (f Format) HasAlpha() bool { return f != JPEG && f != FormatUnknown }

// Ext is the file name extension for f, without the dot.
func (f Format) Ext() string {
	if f == JPEG {
		return "jpg"
	}
	return string(f)
}

// MIME is the media type of f.
func (f Format) MIME() string {
	switch f {
	case SVG:
		return "image/svg+xml"
	case PDF:
		return "application/pdf"
	case FormatUnknown:
		return "application/octet-stream"
	}
	return "image/" + string(f)
}

// Sniff detects the format of b from its leading bytes, never from a file
// name or a declared type. It returns FormatUnknown when nothing matches.
func Sniff(b []byte) Format {
	for _, m := range magics {
		if m.match(b) {
			return m.format
		}
	}
	return FormatUnknown
}

type magic struct {
	format Format
	match  func([]byte) bool
}

var magics = []magic{
	{JPEG, prefix("\xff\xd8\xff")},
	{PNG, prefix("\x89PNG\r\n\x1a\n")},
	{GIF, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}},
	{WebP, func(b []byte) bool { return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" }},
	{TIFF, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
	}},
	{AVIF, isoBrand("avif", "avis")},
	{HEIC, isoBrand("heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1")},
	{JXL, func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("\xff\x0a")) || bytes.HasPrefix(b, []byte("\x00\x00\x00\x0cJXL \r\n\x87\n"))
	}},
	{PDF, prefix("%PDF-")},
	{SVG, looksLikeSVG},
}

func prefix(p string) func([]byte) bool {
	return func(b []byte) bool { return bytes.HasPrefix(b, []byte(p)) }
}

// isoBrand matches an ISO base media file (HEIF family) whose ftyp box names
// one of brands, as its major brand or a compatible one.
func isoBrand(brands ...string) func([]byte) bool {
	return func(b []byte) bool {
		if len(b) < 16 || string(b[4:8]) != "ftyp" {
			return false
		}
		size := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
		size = min(max(size, 16), len(b), 256)
		for off := 8; off+4 <= size; off += 4 {
			if off == 12 { // the minor version, not a brand
				continue
			}
			for _, br := range brands {
				if string(b[off:off+4]) == br {
					return true
				}
			}
		}
		return false
	}
}

// looksLikeSVG finds an <svg element near the start of an XML-ish text.
func looksLikeSVG(b []byte) bool {
	head := b[:min(len(b), 1024)]
	t := bytes.TrimSpace(head)
	return (bytes.HasPrefix(t, []byte("<?xml")) || bytes.HasPrefix(t, []byte("<svg")) || bytes.HasPrefix(t, []byte("<!--"))) &&
		bytes.Contains(head, []byte("<svg"))
}

// Meta describes an image as read from its header, before any decoding.
type Meta struct {
	Format Format `json:"format"`
	// Width and Height are as displayed, after the EXIF orientation is applied,
	// and for one frame of an animation.
	Width       int  `json:"width"`
	Height      int  `json:"height"`
	Frames      int  `json:"frames"`
	Orientation int  `json:"-"`
	HasAlpha    bool `json:"has_alpha"`
	CMYK        bool `json:"-"` // printing colours: needs a profile to become sRGB
	ICC         bool `json:"-"` // an embedded colour profile to apply
}
