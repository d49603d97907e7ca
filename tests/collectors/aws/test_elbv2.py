"""aws.elbv2 (collectors/aws/elbv2.py): every load balancer with its listeners, and the WAF web ACL of internet-facing application load balancers."""

from __future__ import annotations

from fakes.aws_api import assert_pages_and_errors

from annexa.collectors.aws.elbv2 import Elbv2Collector


def test_reads_load_balancers_their_listeners_and_web_acls() -> None:
    assert Elbv2Collector.kinds == ("aws.elbv2.load_balancer",)
    assert Elbv2Collector.permissions == (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "wafv2:GetWebACLForResource",
    )


def test_every_page_is_read_and_a_failed_call_is_error_evidence() -> None:
    assert_pages_and_errors(Elbv2Collector())
