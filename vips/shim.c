#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include "shim.h"

// Saving with every piece of metadata dropped: the option was renamed in 8.15.
#if VIPS_MAJOR_VERSION > 8 || (VIPS_MAJOR_VERSION == 8 && VIPS_MINOR_VERSION >= 15)
#define CR_STRIP "keep", VIPS_FOREIGN_KEEP_NONE
#else
#define CR_STRIP "strip", TRUE
#endif

// quiet drops libvips warnings (bad profiles, truncated files): every failure
// that matters comes back as an error, and a warning per request would flood logs.
static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data) {}

int cr_init(const char *argv0) {
#ifdef __GLIBC__
	// glibc gives every thread that allocates its own arena and rarely hands
	// them back: with libvips' worker threads a long-running server grows to
	// several times what it uses (measured: 640 MiB against 390 MiB for the
	// same batch). Two arenas keep it near its real use; this is what
	// MALLOC_ARENA_MAX=2 does, set before any libvips thread starts.
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
#endif
	if (VIPS_INIT(argv0))
		return -1;
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO, quiet, NULL);
	// Loaders marked untrusted (svg, pdf, jxl, magick, matlab…) must never see
	// an upload, even if our own sniffing let one through.
	vips_block_untrusted_set(TRUE);
	// The operation cache would keep decoded uploads alive; we never repeat one.
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	return 0;
}

const char *cr_version(void) { return vips_version_string(); }

// fill_header reads what we need from an opened image, then drops it.
static int fill_header(VipsImage *im, const char *loader, cr_header *h) {
	if (!im)
		return -1;
	h->width = im->Xsize;
	h->height = vips_image_get_page_height(im);
	h->pages = vips_image_get_n_pages(im);
	h->orientation = vips_image_get_orientation(im);
	h->has_alpha = vips_image_hasalpha(im);
	h->cmyk = im->Type == VIPS_INTERPRETATION_CMYK;
	h->has_icc = vips_image_get_typeof(im, VIPS_META_ICC_NAME) != 0;
	g_strlcpy(h->loader, loader, sizeof(h->loader));
	g_object_unref(im);
	return 0;
}

// Opening an image reads its header only: pixels are decoded lazily.
int cr_read_header(const void *buf, size_t len, cr_header *h) {
	const char *loader = vips_foreign_find_load_buffer(buf, len);
	if (!loader)
		return -1;
	return fill_header(vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL), loader, h);
}

int cr_read_header_file(const char *path, cr_header *h) {
	const char *loader = vips_foreign_find_load(path);
	if (!loader)
		return -1;
	return fill_header(vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL), loader, h);
}

// cr_thumbnail decodes with shrink-on-load and resizes to exactly width x height
// (the caller keeps the aspect ratio), upright, in sRGB.
int cr_thumbnail(const void *buf, size_t len, VipsImage **out, int width, int height, int all_pages, int cmyk, int has_icc) {
	const char *pages = all_pages ? "n=-1" : "";
	if (cmyk) // a CMYK image with no profile gets a generic one, not raw inversion
		return vips_thumbnail_buffer((void *) buf, len, out, width, "height", height,
			"size", VIPS_SIZE_FORCE, "option_string", pages,
			"import_profile", "cmyk", "export_profile", "srgb", NULL);
	if (has_icc) // colours are only right once the embedded profile is applied
		return vips_thumbnail_buffer((void *) buf, len, out, width, "height", height,
			"size", VIPS_SIZE_FORCE, "option_string", pages, "export_profile", "srgb", NULL);
	// Without a profile the pixels are taken as sRGB already: an sRGB to sRGB
	// transform through lcms would only shift saturated colours.
	return vips_thumbnail_buffer((void *) buf, len, out, width, "height", height,
		"size", VIPS_SIZE_FORCE, "option_string", pages, NULL);
}

int cr_page_height(VipsImage *in) { return vips_image_get_page_height(in); }

// per_page runs one geometric operation on every page of an animation and
// stacks the results again, since the pages are stored as one tall strip.
typedef int (*cr_page_fn)(VipsImage *in, VipsImage **out, void *arg);

static int per_page(VipsImage *in, VipsImage **out, cr_page_fn fn, void *arg) {
	int ph = vips_image_get_page_height(in);
	int n = in->Ysize / ph;
	if (n <= 1)
		return fn(in, out, arg);
	VipsImage **pages = g_new0(VipsImage *, n);
	int rc = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		VipsImage *page;
		rc = vips_extract_area(in, &page, 0, i * ph, in->Xsize, ph, NULL);
		if (rc == 0) {
			rc = fn(page, &pages[i], arg);
			g_object_unref(page);
		}
	}
	if (rc == 0)
		rc = vips_arrayjoin(pages, out, n, "across", 1, NULL);
	for (int i = 0; i < n; i++)
		if (pages[i])
			g_object_unref(pages[i]);
	g_free(pages);
	if (rc == 0) {
		// arrayjoin keeps the first page's metadata; set the new page height
		// on a copy, since an image's metadata is fixed once it is built.
		VipsImage *joined = *out;
		rc = vips_copy(joined, out, NULL);
		g_object_unref(joined);
		if (rc == 0)
			vips_image_set_int(*out, VIPS_META_PAGE_HEIGHT, (*out)->Ysize / n);
	}
	return rc;
}

typedef struct { int left, top, width, height; } crop_args;

static int crop_page(VipsImage *in, VipsImage **out, void *arg) {
	crop_args *a = arg;
	return vips_extract_area(in, out, a->left, a->top, a->width, a->height, NULL);
}

int cr_crop(VipsImage *in, VipsImage **out, int left, int top, int width, int height) {
	crop_args a = {left, top, width, height};
	return per_page(in, out, crop_page, &a);
}

int cr_smartcrop(VipsImage *in, VipsImage **out, int width, int height, int interesting) {
	return vips_smartcrop(in, out, width, height, "interesting", interesting, NULL);
}

typedef struct { int direction, width, height; double bg[4]; } embed_args;

static int embed_page(VipsImage *in, VipsImage **out, void *arg) {
	embed_args *a = arg;
	VipsArrayDouble *bg = vips_array_double_new(a->bg, in->Bands < 4 ? in->Bands : 4);
	int rc = vips_gravity(in, out, a->direction, a->width, a->height,
		"extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL);
	vips_area_unref(VIPS_AREA(bg));
	return rc;
}

int cr_embed(VipsImage *in, VipsImage **out, int direction, int width, int height, double r, double g, double b, double a) {
	embed_args e = {direction, width, height, {r, g, b, a}};
	if (in->Bands == 1 || in->Bands == 2) {
		e.bg[0] = (r + g + b) / 3;
		e.bg[1] = a;
	}
	return per_page(in, out, embed_page, &e);
}

int cr_add_alpha(VipsImage *in, VipsImage **out) { return vips_addalpha(in, out, NULL); }

int cr_flatten(VipsImage *in, VipsImage **out, double r, double g, double b) {
	double c[3] = {r, g, b};
	VipsArrayDouble *bg = vips_array_double_new(c, 3);
	int rc = vips_flatten(in, out, "background", bg, NULL);
	vips_area_unref(VIPS_AREA(bg));
	return rc;
}

// cr_to_srgb gives 8-bit sRGB (or sRGB with alpha) whatever came in: grey,
// 16-bit, CMYK that had no profile, float from an ICC transform.
int cr_to_srgb(VipsImage *in, VipsImage **out) {
	VipsImage *t;
	if (vips_colourspace(in, &t, VIPS_INTERPRETATION_sRGB, NULL))
		return -1;
	if (t->BandFmt == VIPS_FORMAT_UCHAR) {
		*out = t;
		return 0;
	}
	int rc = vips_cast(t, out, VIPS_FORMAT_UCHAR, NULL);
	g_object_unref(t);
	return rc;
}

int cr_copy_memory(VipsImage *in, VipsImage **out) {
	*out = vips_image_copy_memory(in);
	return *out ? 0 : -1;
}

int cr_jpegsave(VipsImage *in, void **buf, size_t *len, int q, int progressive) {
	return vips_jpegsave_buffer(in, buf, len, "Q", q, "interlace", progressive,
		"optimize_coding", TRUE, CR_STRIP, NULL);
}

int cr_pngsave(VipsImage *in, void **buf, size_t *len, int compression, int interlace) {
	return vips_pngsave_buffer(in, buf, len, "compression", compression,
		"interlace", interlace, CR_STRIP, NULL);
}

int cr_webpsave(VipsImage *in, void **buf, size_t *len, int q, int lossless, int effort) {
	return vips_webpsave_buffer(in, buf, len, "Q", q, "lossless", lossless,
		"effort", effort, CR_STRIP, NULL);
}

int cr_avifsave(VipsImage *in, void **buf, size_t *len, int q, int effort) {
	return vips_heifsave_buffer(in, buf, len, "Q", q, "effort", effort,
		"compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, CR_STRIP, NULL);
}

int cr_gifsave(VipsImage *in, void **buf, size_t *len) {
	return vips_gifsave_buffer(in, buf, len, CR_STRIP, NULL);
}

// cr_take_error returns (and clears) the libvips error text; the caller frees it.
char *cr_take_error(void) {
	char *s = g_strdup(vips_error_buffer());
	vips_error_clear();
	return s;
}
