//! AWS partitions: an account in `aws-cn` or `aws-us-gov` must sign for a
//! region of its own partition, and its endpoints live under another domain.
//! A profile without `region` gets its partition's default region from the
//! ARN of its MFA device or role.

/// The partitions with a region default and an endpoint domain.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum Partition {
    #[default]
    Aws,
    China,
    GovCloud,
    Iso,
    IsoB,
    IsoE,
    IsoF,
    EuropeanSovereign,
}

/// The partition of `arn:PARTITION:service:…`; None when it is not an ARN or
/// names a partition we do not know.
pub fn of_arn(arn: &str) -> Option<Partition> {
    let mut parts = arn.splitn(3, ':');
    if parts.next()? != "arn" {
        return None;
    }
    Some(match parts.next()? {
        "aws" => Partition::Aws,
        "aws-cn" => Partition::China,
        "aws-us-gov" => Partition::GovCloud,
        "aws-iso" => Partition::Iso,
        "aws-iso-b" => Partition::IsoB,
        "aws-iso-e" => Partition::IsoE,
        "aws-iso-f" => Partition::IsoF,
        "aws-eusc" => Partition::EuropeanSovereign,
        _ => return None,
    })
}

impl Partition {
    pub fn name(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::China => "aws-cn",
            Partition::GovCloud => "aws-us-gov",
            Partition::Iso => "aws-iso",
            Partition::IsoB => "aws-iso-b",
            Partition::IsoE => "aws-iso-e",
            Partition::IsoF => "aws-iso-f",
            Partition::EuropeanSovereign => "aws-eusc",
        }
    }

    /// The region a profile of this partition signs for when it names none
    /// (the one the AWS tools treat as the partition's global endpoint region).
    pub fn default_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::China => "cn-north-1",
            Partition::GovCloud => "us-gov-west-1",
            Partition::Iso => "us-iso-east-1",
            Partition::IsoB => "us-isob-east-1",
            Partition::IsoE => "eu-isoe-west-1",
            Partition::IsoF => "us-isof-south-1",
            Partition::EuropeanSovereign => "eusc-de-east-1",
        }
    }

    /// The DNS suffix of the partition's endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::GovCloud => "amazonaws.com",
            Partition::China => "amazonaws.com.cn",
            Partition::Iso => "c2s.ic.gov",
            Partition::IsoB => "sc2s.sgov.gov",
            Partition::IsoE => "cloud.adc-e.uk",
            Partition::IsoF => "csp.hci.ic.gov",
            Partition::EuropeanSovereign => "amazonaws.eu",
        }
    }

    /// The partition a region belongs to, by its name.
    pub fn of_region(region: &str) -> Partition {
        let prefixes = [
            ("cn-", Partition::China),
            ("us-gov-", Partition::GovCloud),
            ("us-isob-", Partition::IsoB),
            ("us-isof-", Partition::IsoF),
            ("us-iso-", Partition::Iso),
            ("eu-isoe-", Partition::IsoE),
            ("eusc-", Partition::EuropeanSovereign),
        ];
        prefixes
            .iter()
            .find(|(prefix, _)| region.starts_with(prefix))
            .map_or(Partition::Aws, |(_, p)| *p)
    }

    /// STS's regional endpoint, for messages.
    pub fn sts_host(region: &str) -> String {
        format!("sts.{region}.{}", Partition::of_region(region).dns_suffix())
    }

    /// IAM's endpoint, for messages: one per partition (IAM is global).
    pub fn iam_host(region: &str) -> String {
        match Partition::of_region(region) {
            Partition::Aws => "iam.amazonaws.com".to_string(),
            Partition::GovCloud => "iam.us-gov.amazonaws.com".to_string(),
            other => format!("iam.{}.{}", other.default_region(), other.dns_suffix()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_partition() {
        assert_eq!(
            of_arn("arn:aws-cn:iam::123456789012:mfa/a"),
            Some(Partition::China)
        );
        assert_eq!(
            of_arn("arn:aws-us-gov:iam::1:role/r"),
            Some(Partition::GovCloud)
        );
        assert_eq!(of_arn("arn:aws:iam::1:mfa/a"), Some(Partition::Aws));
        assert_eq!(of_arn("GAHT12345678"), None);
        assert_eq!(of_arn("arn:nope:iam::1:mfa/a"), None);
    }

    #[test]
    fn a_partition_without_region_signs_for_its_own_region() {
        for p in [
            Partition::Aws,
            Partition::China,
            Partition::GovCloud,
            Partition::Iso,
            Partition::IsoB,
            Partition::IsoE,
            Partition::IsoF,
            Partition::EuropeanSovereign,
        ] {
            assert_eq!(Partition::of_region(p.default_region()), p, "{p:?}");
            assert_eq!(of_arn(&format!("arn:{}:iam::1:mfa/x", p.name())), Some(p));
        }
    }

    #[test]
    fn hosts_are_in_the_partitions_domain() {
        assert_eq!(
            Partition::sts_host("cn-north-1"),
            "sts.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            Partition::sts_host("eu-west-1"),
            "sts.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            Partition::iam_host("cn-northwest-1"),
            "iam.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            Partition::iam_host("us-gov-east-1"),
            "iam.us-gov.amazonaws.com"
        );
        assert_eq!(Partition::iam_host("us-east-2"), "iam.amazonaws.com");
    }
}
