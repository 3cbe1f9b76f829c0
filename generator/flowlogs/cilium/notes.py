"""Advice on what a flow log's filters will see: warnings and notes, never errors.

- A filter list written as one mapping (`exclude: {namespace: a, identity: health}`) is ONE
  filter whose keys all must match (AND); people mostly mean a list of filters (OR).
- L7 and DNS words match only flows Hubble gets from Cilium's proxies: HTTP, Kafka and DNS
  records exist only for traffic an L7 rule of a CiliumNetworkPolicy sends through the proxy
  (Cilium docs, docs.cilium.io/en/latest/observability/visibility "Layer 7 Protocol Visibility":
  "To enable visibility for L7 traffic, create a CiliumNetworkPolicy that specifies L7 rules"; the
  feature "requires enabling L7 Proxy support", the chart's `l7Proxy`, `true` in values.yaml of
  charts 1.16.19 and 1.19.5 vendored in cilium/cilium-cli), and FQDN names only for lookups that
  went through the DNS proxy (a DNS rule, as toFQDNs policies use).
"""

from __future__ import annotations

from ..errors import Diagnostics
from ..profile import Node
from ..yamlio import dump_yaml

# Profile words that match L7 records only, and the ones that need DNS names from the DNS proxy.
L7_WORDS = ("http-status", "http-method", "http-path", "http-url", "http-header", "dns-query")
L7_PROTOCOLS = ("http", "dns", "kafka")
FQDN_WORDS = ("fqdn", "source-fqdn", "destination-fqdn")
VISIBILITY_HINT = (
    "Hubble records HTTP, Kafka and DNS flows only for traffic that an L7 rule of a CiliumNetworkPolicy "
    "(rules: http, kafka or dns) sends through Cilium's proxy, with the chart's l7Proxy: true (the default), and knows "
    "DNS names only for lookups through the DNS proxy (a dns rule, as toFQDNs policies need); an L7 policy also "
    "restricts the traffic it selects (Cilium docs: Layer 7 Protocol Visibility)"
)


def note_filter_shape(node: Node, word: str, diagnostics: Diagnostics) -> None:
    """`include:`/`exclude:` written as one mapping with several keys: one AND filter, say so."""
    if not isinstance(node.value, dict) or len(node.value) < 2:
        return
    keys = list(node.value)
    as_list = dump_yaml({word: [{key: node.value[key]} for key in keys]}).strip().replace("\n", "\n        ")
    diagnostics.warning(
        node.key_location,
        f"'{word}' is one filter with {len(keys)} keys ({', '.join(keys)}), which all must match: it {word}s only "
        "flows that match all of them",
        f"to {word} flows that match any of them, write one filter per key:\n        {as_list}\n"
        f"      (to keep the AND and silence this, write it as a list of one filter: {word}: [{{...}}])",
    )


def _l7_word(filter_node: Node) -> tuple[str, Node] | None:
    """The first word of a filter that needs the proxies, as written (`protocol: dns`), and its node."""
    for key, value_node in filter_node.items():
        if key in L7_WORDS or key in FQDN_WORDS:
            return key, value_node
        if key == "protocol":
            l7 = [str(item.value).lower() for item in value_node.elements() if str(item.value).lower() in L7_PROTOCOLS]
            if l7:
                return f"protocol: {l7[0]}", value_node
    return None


def note_visibility(flow_log: Node, diagnostics: Diagnostics) -> None:
    """One note per flow log whose include filters use a word that needs L7 visibility or the DNS proxy."""
    for filter_node in flow_log.get("include").elements():
        found = _l7_word(filter_node)
        if found is None:
            continue
        key, value_node = found
        if key in FQDN_WORDS:
            what = "flows whose DNS name Cilium learned from its DNS proxy: without a DNS policy for the lookups"
        else:
            what = (
                "L7 flows (HTTP, DNS, Kafka), which exist only for traffic Cilium's proxy inspects: without an L7 "
                "policy for this traffic"
            )
        diagnostics.note(value_node.key_location, f"'{key}' matches only {what} it matches nothing", VISIBILITY_HINT)
        return
