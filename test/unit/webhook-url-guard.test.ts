/**
 * The SSRF guard of outbound webhooks: production accepts only https:// to public hosts; every
 * loopback, private, link-local, metadata and reserved address is refused however it is written
 * (decimal, octal, hex and short IPv4; IPv6, IPv4-mapped and NAT64 forms), and so are internal names.
 */
import { describe, expect, it } from "vitest";
import { checkWebhookUrl } from "../../src/modules/webhooks/url-guard";

const production = { allowLocalhost: false };
const development = { allowLocalhost: true };

describe("checkWebhookUrl in production", () => {
  it.each([
    "https://erp.example.com/hooks/edgeshop",
    "https://hooks.example.com:8443/in?x=1",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://[64:ff9b::808:808]/hook",
    "https://xn--bcher-kva.example/hook",
  ])("accepts the public https URL %s", (url) => {
    expect(checkWebhookUrl(url, production)).toMatchObject({ ok: true });
  });

  it.each([
    ["http://erp.example.com/hook", "plain http"],
    ["ftp://erp.example.com/hook", "another scheme"],
    ["https://user:pass@erp.example.com/hook", "credentials"],
    ["not a url", "garbage"],
    ["https://localhost/hook", "localhost"],
    ["https://LOCALHOST./hook", "localhost with a trailing dot"],
    ["https://api.localhost/hook", "a *.localhost name"],
    ["https://metadata.google.internal/computeMetadata/v1/", "a metadata name"],
    ["https://printer.local/hook", "an mDNS name"],
    ["https://intranet/hook", "a single-label name"],
    ["https://127.0.0.1/hook", "loopback"],
    ["https://127.1/hook", "short loopback"],
    ["https://2130706433/hook", "decimal loopback"],
    ["https://017700000001/hook", "octal loopback"],
    ["https://0x7f.0.0.1/hook", "hex loopback"],
    ["https://0/hook", "0.0.0.0 as a number"],
    ["https://10.1.2.3/hook", "10/8"],
    ["https://172.20.0.5/hook", "172.16/12"],
    ["https://192.168.1.10/hook", "192.168/16"],
    ["https://100.100.100.200/hook", "CGNAT (Alibaba metadata)"],
    ["https://169.254.169.254/latest/meta-data/", "link-local (cloud metadata)"],
    ["https://0251.0376.0251.0376/latest/", "octal metadata"],
    ["https://192.0.0.192/hook", "IETF range (Oracle metadata)"],
    ["https://224.0.0.1/hook", "multicast"],
    ["https://255.255.255.255/hook", "broadcast"],
    ["https://[::1]/hook", "IPv6 loopback"],
    ["https://[::]/hook", "IPv6 unspecified"],
    ["https://[::ffff:127.0.0.1]/hook", "IPv4-mapped loopback"],
    ["https://[::ffff:a9fe:a9fe]/hook", "IPv4-mapped metadata"],
    ["https://[64:ff9b::a9fe:a9fe]/hook", "NAT64 of metadata"],
    ["https://[2002:7f00:1::]/hook", "6to4 of loopback"],
    ["https://[fe80::1]/hook", "IPv6 link-local"],
    ["https://[fd00:ec2::254]/hook", "unique local (AWS IPv6 metadata)"],
    ["https://[ff02::1]/hook", "IPv6 multicast"],
    ["https://[2001:db8::1]/hook", "IPv6 documentation"],
  ])("refuses %s (%s)", (url) => {
    expect(checkWebhookUrl(url, production).ok).toBe(false);
  });

  it("refuses http://localhost when local development is not switched on", () => {
    expect(checkWebhookUrl("http://localhost:9999/hook", production)).toEqual({ ok: false, reason: "only https URLs are allowed" });
  });
});

describe("checkWebhookUrl in local development", () => {
  it.each(["http://localhost:9999/hook", "http://127.0.0.1:8787/in", "http://[::1]:3000/x", "https://localhost/hook"])("accepts the loopback URL %s", (url) => {
    expect(checkWebhookUrl(url, development).ok).toBe(true);
  });

  it.each(["http://10.0.0.5/hook", "http://192.168.1.1/hook", "https://169.254.169.254/", "http://erp.example.com/hook"])(
    "still refuses %s (only loopback is relaxed, and only loopback may use http)",
    (url) => {
      expect(checkWebhookUrl(url, development).ok).toBe(false);
    },
  );
});
