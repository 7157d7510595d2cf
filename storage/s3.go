package storage

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"

	resizer "github.com/cloudresizer/cloudresizer"
)

// Multipart uploads. The transfer manager under s3blob sends objects of up
// to 16 MiB in one PutObject and larger ones in parts of s3PartSize, with
// s3Concurrency parts in flight: an upload holds at most about
// (s3Concurrency+1) × s3PartSize = 40 MiB of memory. 8 MiB parts keep a
// 5 GiB original under the 10,000-part limit of S3 (up to 78 GiB).
const (
	s3PartSize    = 8 << 20
	s3Concurrency = 4
)

// s3CheckTimeout bounds the start-up check of the bucket, retries included.
const s3CheckTimeout = 15 * time.Second

// s3Config is what an s3:// URL's query asks for.
type s3Config struct {
	load     []func(*config.LoadOptions) error
	client   []func(*s3.Options)
	blob     s3blob.Options
	endpoint string
}

// s3Params are the query parameters s3:// URLs accept: ours (endpoint,
// region, use_path_style) and the ones s3blob's own opener knows.
var s3Params = map[string]func(c *s3Config, v string) error{
	"region": func(c *s3Config, v string) error {
		c.load = append(c.load, config.WithRegion(v))
		return nil
	},
	"endpoint": func(c *s3Config, v string) error {
		if u, err := url.ParseRequestURI(v); err != nil || u.Host == "" {
			return errors.New("want a URL such as http://127.0.0.1:9000")
		}
		c.endpoint = v
		c.client = append(c.client, func(o *s3.Options) { o.BaseEndpoint = aws.String(v) })
		return nil
	},
	"use_path_style":   boolParam(func(c *s3Config, on bool) { c.client = append(c.client, func(o *s3.Options) { o.UsePathStyle = on }) }),
	"s3ForcePathStyle": boolParam(func(c *s3Config, on bool) { c.client = append(c.client, func(o *s3.Options) { o.UsePathStyle = on }) }),
	"disable_https": boolParam(func(c *s3Config, on bool) {
		c.client = append(c.client, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
	}),
	"accelerate": boolParam(func(c *s3Config, on bool) { c.client = append(c.client, func(o *s3.Options) { o.UseAccelerate = on }) }),
	"dualstack": boolParam(func(c *s3Config, on bool) {
		if on {
			c.load = append(c.load, config.WithUseDualStackEndpoint(aws.DualStackEndpointStateEnabled))
		}
	}),
	"fips": boolParam(func(c *s3Config, on bool) {
		if on {
			c.load = append(c.load, config.WithUseFIPSEndpoint(aws.FIPSEndpointStateEnabled))
		}
	}),
	"anonymous": boolParam(func(c *s3Config, on bool) {
		if on {
			c.load = append(c.load, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
		}
	}),
	"profile": func(c *s3Config, v string) error {
		c.load = append(c.load, config.WithSharedConfigProfile(v))
		return nil
	},
	"ssetype": func(c *s3Config, v string) error {
		for _, t := range types.ServerSideEncryptionAes256.Values() {
			if strings.EqualFold(string(t), v) {
				c.blob.EncryptionType = t
				return nil
			}
		}
		return errors.New("want AES256, aws:kms or aws:kms:dsse")
	},
	"kmskeyid": func(c *s3Config, v string) error { c.blob.KMSEncryptionID = v; return nil },
	// Some S3-compatible servers refuse the checksums the SDK adds by default.
	"request_checksum_calculation": func(c *s3Config, v string) error {
		switch strings.ToLower(v) {
		case "when_supported":
			c.load = append(c.load, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenSupported))
		case "when_required":
			c.load = append(c.load, config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired))
		default:
			return errors.New("want when_supported or when_required")
		}
		return nil
	},
	"awssdk": func(*s3Config, string) error { return nil }, // s3blob's choice of SDK: v2 is the only one
}

func boolParam(set func(c *s3Config, on bool)) func(c *s3Config, v string) error {
	return func(c *s3Config, v string) error {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		set(c, on)
		return nil
	}
}

// parseS3Query reads the query of an s3:// URL. Unknown parameters are
// refused, so that a misspelt one does not silently talk to the wrong place.
// Errors name the parameter, never its value: it may be a secret pasted in
// the wrong place.
func parseS3Query(q url.Values) (*s3Config, error) {
	c := &s3Config{}
	for name, values := range q {
		set, ok := s3Params[name]
		if !ok {
			return nil, fmt.Errorf("unknown s3 URL parameter %q", name)
		}
		if err := set(c, values[0]); err != nil {
			return nil, fmt.Errorf("bad value for s3 URL parameter %q: %v", name, err)
		}
	}
	return c, nil
}

// s3Name shows an s3:// URL in logs and errors with only the parameters we
// know: an unknown one could be a credential put in the wrong place.
func s3Name(u *url.URL) string {
	q := url.Values{}
	for name, v := range u.Query() {
		if _, ok := s3Params[name]; ok {
			q[name] = v
		}
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: q.Encode()}).String()
}

// s3Bucket is an opened S3 bucket with what its checks need.
type s3Bucket struct {
	client *s3.Client
	name   string
	where  string // the endpoint, for error messages
}

// openS3 opens s3://BUCKET?… with an S3 client built from the URL's query
// and the usual AWS credential chain (environment, shared profiles, instance
// or task roles). Building the client here rather than through s3blob's URL
// opener is what lets a custom endpoint use path-style addressing and static
// credentials. The bucket is checked before it is returned, so a missing or
// unreachable bucket stops the start, not the first request.
func openS3(ctx context.Context, u *url.URL) (*blob.Bucket, *s3Bucket, error) {
	if u.Host == "" {
		return nil, nil, errors.New("an s3 URL names its bucket: s3://BUCKET?region=…")
	}
	c, err := parseS3Query(u.Query())
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, c.load...)
	if err != nil {
		return nil, nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // S3-compatible servers rarely care; AWS redirects
	}
	// The transfer manager ignores the client's checksum setting.
	c.blob.RequestChecksumCalculation = cfg.RequestChecksumCalculation
	// Reading a multipart object cannot validate its whole-object checksum;
	// the SDK would log that on every such read, outside our logger.
	quiet := func(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }
	sb := &s3Bucket{client: s3.NewFromConfig(cfg, append(c.client, quiet)...), name: u.Host, where: c.endpoint}
	if sb.where == "" {
		sb.where = "AWS S3 (" + cfg.Region + ")"
	}
	if err := sb.check(ctx); err != nil {
		return nil, nil, err
	}
	b, err := s3blob.OpenBucket(ctx, sb.client, sb.name, &c.blob)
	return b, sb, err
}

// check asks S3 for the bucket (HeadBucket) and explains a failure.
func (sb *s3Bucket) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s3CheckTimeout)
	defer cancel()
	_, err := sb.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(sb.name)})
	if err == nil {
		return nil
	}
	return resizer.Errorf(resizer.EUNAVAILABLE, "bucket %q does not exist or is not reachable at %s: %s",
		sb.name, sb.where, s3Reason(err))
}

// s3Reason says in a few words why an S3 call failed.
func s3Reason(err error) string {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return "no such bucket"
		case http.StatusForbidden, http.StatusUnauthorized:
			return "access denied (check the credentials and the bucket's policy)"
		case http.StatusMovedPermanently:
			return "the bucket is in another region (set region=…)"
		}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}

// s3MissingBucket reports an S3 error about the bucket, not the key: s3blob
// calls both "not found", but a bucket that went away is an outage, not a
// missing image.
func s3MissingBucket(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "NoSuchBucket"
}

// s3WriterOptions sets the multipart part size and concurrency.
func s3WriterOptions(o *blob.WriterOptions) {
	o.BufferSize = s3PartSize
	o.MaxConcurrency = s3Concurrency
}

// startAfter makes an S3 listing begin after key instead of at the start of
// the prefix, so that the pages of a long list cost one request each. Other
// backends ignore it (List skips what they return before key anyway).
func startAfter(key string) func(as func(any) bool) error {
	return func(as func(any) bool) error {
		if !plainKey(key) {
			return nil // s3blob escapes such keys; let the generic skip handle them
		}
		var v2 *s3.ListObjectsV2Input
		if as(&v2) {
			v2.StartAfter = aws.String(key)
		}
		var v1 *s3.ListObjectsInput
		if as(&v1) {
			v1.Marker = aws.String(key)
		}
		return nil
	}
}

// plainKey reports a key that s3blob sends to S3 unchanged: valid UTF-8,
// no control characters, no "../" and no "__0x" (its escape marker).
func plainKey(key string) bool {
	if !utf8.ValidString(key) {
		return false
	}
	for _, c := range key {
		if c < 32 {
			return false
		}
	}
	return !strings.Contains(key, "../") && !strings.Contains(key, "__0x")
}
