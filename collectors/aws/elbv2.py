"""Elastic Load Balancing v2: load balancers, their listeners' TLS policies and their WAF web ACL."""

from __future__ import annotations

from typing import Any

from annexa.collectors.aws.collector import AwsCollector
from annexa.collectors.aws.spec import Detail, Listing

LOAD_BALANCER = "aws.elbv2.load_balancer"


def _public_alb(lb: dict[str, Any]) -> bool:
    """WAF protects application load balancers; only internet-facing ones are asked for their web ACL."""
    return lb.get("Type") == "application" and lb.get("Scheme") == "internet-facing"


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


def _load_balancer(
    lb: dict[str, Any], listeners: list[dict[str, Any]], web_acl: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "name": lb.get("LoadBalancerName"),
        "type": lb.get("Type"),
        "scheme": lb.get("Scheme"),
        "vpc_id": lb.get("VpcId"),
        "listeners": sorted((_listener(item) for item in listeners), key=lambda item: item["port"] or 0),
        "web_acl_arn": (web_acl or {}).get("ARN"),
    }


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
    specs = (
        Listing(
            LOAD_BALANCER,
            "elbv2",
            "DescribeLoadBalancers",
            "LoadBalancers",
            resource="LoadBalancerArn",
            details=(
                Detail("DescribeListeners", lambda lb: {"LoadBalancerArn": lb["LoadBalancerArn"]}, key="Listeners"),
                Detail(
                    "GetWebACLForResource",
                    lambda lb: {"ResourceArn": lb["LoadBalancerArn"]},
                    key="WebACL",
                    when=_public_alb,
                    service="wafv2",
                ),
            ),
            data=_load_balancer,
        ),
    )
