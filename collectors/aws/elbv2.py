"""Elastic Load Balancing v2: load balancers, their listeners' TLS policies and their WAF web ACL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.errors import AwsCallError
from annexa.collectors.aws.session import AwsAccount, call, paginate
from annexa.model import CollectionError, Fact

LOAD_BALANCER = "aws.elbv2.load_balancer"


class Elbv2Collector(AwsCollector):
    """Web exposure and transport encryption evidence (A.8.23, A.8.24, A.8.20) per region.

    One DescribeListeners per load balancer and, for internet-facing application load
    balancers only, one wafv2:GetWebACLForResource (AWS has no batch form of either).

    - `aws.elbv2.load_balancer` (load balancer ARN): `name`, `type` (application,
      network, gateway), `scheme` (internet-facing or internal), `vpc_id`, `listeners`
      (port, protocol, `ssl_policy`, `redirects_to_https`), `web_acl_arn` (null when no
      WAF web ACL is associated; also null for types WAF cannot protect).
    """

    name = "aws.elbv2"
    kinds = (LOAD_BALANCER,)
    permissions = (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "wafv2:GetWebACLForResource",
    )

    def collect_unit(self, account: AwsAccount, region: str) -> Iterator[Fact | CollectionError]:
        elbv2 = account.client("elbv2", region)
        try:
            balancers, pages = paginate(elbv2, "describe_load_balancers", "LoadBalancers")
        except AwsCallError as exc:
            yield exc.to_collection_error((LOAD_BALANCER,), account.scope(region))
            return
        for lb in balancers:
            arn = lb["LoadBalancerArn"]
            public_alb = lb.get("Type") == "application" and lb.get("Scheme") == "internet-facing"
            operations = ["elbv2:DescribeLoadBalancers", "elbv2:DescribeListeners"]
            try:
                listeners, _ = paginate(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=arn)
                web_acl = None
                if public_alb:
                    waf = account.client("wafv2", region)
                    web_acl = call(waf, "get_web_acl_for_resource", ResourceArn=arn).get("WebACL")
                    operations.append("wafv2:GetWebACLForResource")
            except AwsCallError as exc:
                yield exc.to_collection_error((LOAD_BALANCER,), account.scope(region), arn)
                continue
            yield Fact(
                kind=LOAD_BALANCER,
                resource=arn,
                scope=account.scope(region),
                data={
                    "name": lb.get("LoadBalancerName"),
                    "type": lb.get("Type"),
                    "scheme": lb.get("Scheme"),
                    "vpc_id": lb.get("VpcId"),
                    "listeners": sorted((_listener(item) for item in listeners), key=lambda item: item["port"] or 0),
                    "web_acl_arn": (web_acl or {}).get("ARN"),
                },
                source=account.source(operations, elbv2, pages),
            )


def _listener(listener: dict[str, Any]) -> dict[str, Any]:
    actions = listener.get("DefaultActions") or []
    return {
        "port": listener.get("Port"),
        "protocol": listener.get("Protocol"),
        "ssl_policy": listener.get("SslPolicy"),
        "redirects_to_https": any(
            a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS" for a in actions
        ),
    }
