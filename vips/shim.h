// Thin, non-variadic wrappers over the libvips calls the engine uses: cgo
// cannot call C variadic functions, and keeping each wrapper one call long
// keeps the pipeline itself in Go.
#ifndef CLOUDRESIZER_SHIM_H
#define CLOUDRESIZER_SHIM_H

#include <stdlib.h>
#include <vips/vips.h>

typedef struct {
	int width, height;     // stored size of one page
	int pages;             // number of pages (frames)
	int orientation;       // EXIF orientation 1..8
	int has_alpha;
	int cmyk;              // CMYK (or YCCK) pixels
	int has_icc;           // an embedded colour profile
	char loader[64];       // libvips loader nickname, e.g. "jpegload_buffer"
} cr_header;

int cr_init(const char *argv0);
const char *cr_version(void);
int cr_read_header(const void *buf, size_t len, cr_header *h);
int cr_read_header_file(const char *path, cr_header *h);
int cr_thumbnail(const void *buf, size_t len, VipsImage **out, int width, int height, int all_pages, int cmyk, int has_icc);
int cr_crop(VipsImage *in, VipsImage **out, int left, int top, int width, int height);
int cr_smartcrop(VipsImage *in, VipsImage **out, int width, int height, int interesting);
int cr_embed(VipsImage *in, VipsImage **out, int direction, int width, int height, double r, double g, double b, double a);
int cr_add_alpha(VipsImage *in, VipsImage **out);
int cr_flatten(VipsImage *in, VipsImage **out, double r, double g, double b);
int cr_to_srgb(VipsImage *in, VipsImage **out);
int cr_copy_memory(VipsImage *in, VipsImage **out);
int cr_page_height(VipsImage *in);
int cr_jpegsave(VipsImage *in, void **buf, size_t *len, int q, int progressive);
int cr_pngsave(VipsImage *in, void **buf, size_t *len, int compression, int interlace);
int cr_webpsave(VipsImage *in, void **buf, size_t *len, int q, int lossless, int effort);
int cr_avifsave(VipsImage *in, void **buf, size_t *len, int q, int effort);
int cr_gifsave(VipsImage *in, void **buf, size_t *len);
char *cr_take_error(void);

#endif
