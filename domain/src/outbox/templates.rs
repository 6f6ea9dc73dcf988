//! The emails Linli sends, in Chinese, each with a plain-text and an HTML part.

/// Escapes text for the HTML part.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

crate::types::text_enum!(
    /// The kinds of email a person may turn off; account security and redemption codes always
    /// go out.
    NotificationKind {
        PointsEarned => "POINTS_EARNED",
        RedemptionConfirmed => "REDEMPTION_CONFIRMED",
        ProductReviewed => "PRODUCT_REVIEWED",
        OrganisationVerified => "ORGANISATION_VERIFIED",
        Announcement => "ANNOUNCEMENT",
        MatchProposed => "MATCH_PROPOSED",
        WaitlistPromoted => "WAITLIST_PROMOTED",
        PointsExpiring => "POINTS_EXPIRING",
        BookingRequested => "BOOKING_REQUESTED",
        BookingCancelled => "BOOKING_CANCELLED",
        BookingDecided => "BOOKING_DECIDED",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    VerifyEmail {
        link: String,
        token: String,
    },
    ResetPassword {
        link: String,
        token: String,
    },
    PointsEarned {
        points: i64,
        activity: String,
        balance: i64,
    },
    RedemptionIssued {
        reward: String,
        code: String,
        expires: String,
    },
    RedemptionConfirmed {
        reward: String,
        points: i64,
    },
    ProductReviewed {
        title: String,
        published: bool,
        reason: Option<String>,
    },
    OrganisationVerified {
        name: String,
    },
    Announcement {
        subject: String,
        body: String,
    },
    MatchProposed {
        need: String,
    },
    WaitlistPromoted {
        activity: String,
        starts: String,
        place: String,
    },
    /// Points of one earning year lapse soon (30 and 7 days before).
    PointsExpiring {
        points: i64,
        earned_year: i32,
        /// The last day they can be spent, in Chengdu.
        last_day: String,
        link: String,
    },
    /// To an organisation's members: a resident booked one of its services.
    BookingRequested {
        product: String,
        day: String,
        resident: String,
        /// A free service is booked at once; a priced one waits for the organisation.
        confirmed: bool,
    },
    /// To an organisation's members: a resident cancelled a booking.
    BookingCancelled {
        product: String,
        day: String,
    },
    /// To the resident: the organisation accepted, declined or delivered the booking, or it
    /// lapsed.
    BookingDecided {
        product: String,
        day: String,
        status: &'static str,
        reason: Option<String>,
        points: i64,
    },
    /// To the staff member a need was escalated to when its SLA passed without a match.
    NeedEscalated {
        need: String,
        community: String,
        urgency: &'static str,
        /// When its SLA passed, as a Chengdu clock shows it.
        due: String,
        link: String,
    },
}

impl Template {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VerifyEmail { .. } => "VERIFY_EMAIL",
            Self::ResetPassword { .. } => "RESET_PASSWORD",
            Self::PointsEarned { .. } => "POINTS_EARNED",
            Self::RedemptionIssued { .. } => "REDEMPTION_ISSUED",
            Self::RedemptionConfirmed { .. } => "REDEMPTION_CONFIRMED",
            Self::ProductReviewed { .. } => "PRODUCT_REVIEWED",
            Self::OrganisationVerified { .. } => "ORGANISATION_VERIFIED",
            Self::Announcement { .. } => "ANNOUNCEMENT",
            Self::MatchProposed { .. } => "MATCH_PROPOSED",
            Self::WaitlistPromoted { .. } => "WAITLIST_PROMOTED",
            Self::NeedEscalated { .. } => "NEED_ESCALATED",
            Self::PointsExpiring { .. } => "POINTS_EXPIRING",
            Self::BookingRequested { .. } => "BOOKING_REQUESTED",
            Self::BookingCancelled { .. } => "BOOKING_CANCELLED",
            Self::BookingDecided { .. } => "BOOKING_DECIDED",
        }
    }

    /// Account security, redemption codes and a staff member's escalations always go out (an
    /// escalation nobody reads would let the need wait on); the rest can be turned off.
    pub fn essential(&self) -> bool {
        matches!(
            self,
            Self::VerifyEmail { .. }
                | Self::ResetPassword { .. }
                | Self::RedemptionIssued { .. }
                | Self::NeedEscalated { .. }
        )
    }

    /// Kinds whose body carries a secret (a one-time link or a counter code): redacted once
    /// sent, and never shown to staff.
    pub fn is_secret_kind(kind: &str) -> bool {
        super::store::SECRET_KINDS.contains(&kind)
    }

    /// Subject, plain text, HTML.
    pub fn render(&self) -> (String, String, String) {
        let (subject, lines): (String, Vec<String>) = match self {
            Self::VerifyEmail { link, token } => (
                "请确认你的邮箱 · 邻里".to_owned(),
                vec![
                    "你好！请打开下面的链接确认这是你的邮箱：".to_owned(),
                    link.clone(),
                    format!("或在应用中输入确认码：{token}"),
                    "链接 24 小时内有效。如果不是你本人操作，请忽略本邮件。".to_owned(),
                ],
            ),
            Self::ResetPassword { link, token } => (
                "重置密码 · 邻里".to_owned(),
                vec![
                    "我们收到了重置你邻里账号密码的请求。请打开下面的链接设置新密码：".to_owned(),
                    link.clone(),
                    format!("或在应用中输入重置码：{token}"),
                    "链接 30 分钟内有效，只能使用一次。重置后，所有设备上的登录都会退出。"
                        .to_owned(),
                    "如果不是你本人操作，请忽略本邮件，你的密码不会改变。".to_owned(),
                ],
            ),
            Self::PointsEarned {
                points,
                activity,
                balance,
            } => (
                format!("志愿积分到账 {points} 分 · 邻里"),
                vec![
                    format!("感谢你参加「{activity}」！你的服务已核验，{points} 志愿积分已到账。"),
                    format!(
                        "当前积分余额：{balance} 分。可在商居联盟商家兑换理发、助餐、维修等服务。"
                    ),
                ],
            ),
            Self::RedemptionIssued {
                reward,
                code,
                expires,
            } => (
                format!("兑换码已生成：{reward} · 邻里"),
                vec![
                    format!("你已兑换「{reward}」，积分已冻结。"),
                    format!(
                        "到店出示兑换码：{code}（{expires} 前有效）。过期未使用，积分自动退回。"
                    ),
                ],
            ),
            Self::RedemptionConfirmed { reward, points } => (
                "兑换成功 · 邻里".to_owned(),
                vec![format!(
                    "商家已确认你的兑换「{reward}」，使用积分 {points} 分。感谢参与社区志愿服务！"
                )],
            ),
            Self::ProductReviewed {
                title,
                published,
                reason,
            } => {
                if *published {
                    (
                        format!("产品已发布：{title} · 邻里"),
                        vec![format!(
                            "你提交的社创产品「{title}」已通过审核并发布，居民现在可以找到它了。"
                        )],
                    )
                } else {
                    (
                        format!("产品需修改：{title} · 邻里"),
                        vec![
                            format!("你提交的社创产品「{title}」暂未通过审核。"),
                            format!(
                                "原因：{}",
                                reason.as_deref().unwrap_or("请联系中心工作人员")
                            ),
                            "修改后可再次提交审核。".to_owned(),
                        ],
                    )
                }
            }
            Self::OrganisationVerified { name } => (
                format!("组织已认证：{name} · 邻里"),
                vec![format!(
                    "「{name}」已通过天府社创中心认证，现在可以发布社创产品、组织共创活动。"
                )],
            ),
            Self::Announcement { subject, body } => {
                (format!("{subject} · 邻里"), vec![body.clone()])
            }
            Self::MatchProposed { need } => (
                "新的资源对接邀请 · 邻里".to_owned(),
                vec![
                    format!("天府社创中心认为你们能帮上忙：社区需求「{need}」。"),
                    "请登录邻里查看需求详情，接受或婉拒这次对接。".to_owned(),
                ],
            ),
            Self::WaitlistPromoted {
                activity,
                starts,
                place,
            } => (
                format!("候补转正：{activity} · 邻里"),
                vec![
                    format!("有人取消了报名，你在「{activity}」的候补已转为正式报名。"),
                    format!("时间：{starts}（北京时间），地点：{place}。"),
                    "到场后用主办方屏幕上的签到码签到；去不了的话，请在邻里里取消报名，把名额留给下一位。"
                        .to_owned(),
                ],
            ),
            Self::PointsExpiring {
                points,
                earned_year,
                last_day,
                link,
            } => (
                format!("{points} 志愿积分即将过期 · 邻里"),
                vec![
                    format!(
                        "你在 {earned_year} 年获得的 {points} 志愿积分将于 {last_day}（北京时间）结束时过期。"
                    ),
                    "过期前可以在商居联盟商家兑换服务，也可以转赠给邻居或捐给自组织的积分基金，让它们继续发挥作用："
                        .to_owned(),
                    link.clone(),
                    "志愿服务时长是永久记录，不会过期。".to_owned(),
                ],
            ),
            Self::BookingRequested {
                product,
                day,
                resident,
                confirmed,
            } => (
                format!("新预约：{product} · 邻里"),
                vec![
                    format!("{resident} 预约了「{product}」，日期：{day}。"),
                    if *confirmed {
                        "这是公益服务，预约已自动确认。服务完成后，请在邻里的预约列表中标记完成。"
                            .to_owned()
                    } else {
                        "请登录邻里，在预约列表中确认或婉拒。".to_owned()
                    },
                ],
            ),
            Self::BookingCancelled { product, day } => (
                format!("预约已取消：{product} · 邻里"),
                vec![format!("居民取消了「{product}」{day} 的预约，名额已释放。")],
            ),
            Self::BookingDecided {
                product,
                day,
                status,
                reason,
                points,
            } => {
                let (title, line) = match *status {
                    "ACCEPTED" => ("预约已确认", format!("「{product}」{day} 的预约已确认，请按时前往。")),
                    "DELIVERED" if *points > 0 => (
                        "服务已完成",
                        format!("「{product}」{day} 的服务已完成，冻结的 {points} 积分已支付给服务组织。"),
                    ),
                    "DELIVERED" => ("服务已完成", format!("「{product}」{day} 的服务已完成，感谢使用。")),
                    "DECLINED" => (
                        "预约未能接受",
                        format!(
                            "很抱歉，「{product}」{day} 的预约未能接受。原因：{}",
                            reason.as_deref().unwrap_or("未说明")
                        ),
                    ),
                    _ => ("预约已过期", format!("「{product}」{day} 的预约已过期，未标记完成。")),
                };
                let mut lines = vec![line];
                if *points > 0 && *status != "DELIVERED" && *status != "ACCEPTED" {
                    lines.push(format!("冻结的 {points} 积分已退回你的钱包。"));
                }
                (format!("{title}：{product} · 邻里"), lines)
            }
            Self::NeedEscalated {
                need,
                community,
                urgency,
                due,
                link,
            } => (
                format!("需求超时未对接：{need} · 邻里"),
                vec![
                    format!(
                        "{community}的需求「{need}」（紧急程度：{urgency}）已超过响应时限（{due}，北京时间），仍未找到对接资源，现转交你跟进。"
                    ),
                    "请打开下面的链接查看需求和推荐的对接对象：".to_owned(),
                    link.clone(),
                ],
            ),
        };
        let footer = "—— 邻里 · 成华区社区共创平台（本邮件由系统发送，请勿直接回复）";
        let text = format!("{}\n\n{footer}\n", lines.join("\n\n"));
        let body: String = lines
            .iter()
            .map(|l| {
                if l.starts_with("http://") || l.starts_with("https://") {
                    format!("<p><a href=\"{0}\">{0}</a></p>", html(l))
                } else {
                    format!("<p>{}</p>", html(l))
                }
            })
            .collect();
        let page = format!(
            "<!doctype html><html lang=\"zh-CN\"><body>{body}<p style=\"color:#888\">{}</p></body></html>",
            html(footer)
        );
        (subject, text, page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_links() {
        let t = Template::ResetPassword {
            link: "http://x/r?token=a&b".into(),
            token: "a".into(),
        };
        let (subject, text, page) = t.render();
        assert!(subject.contains("重置密码"));
        assert!(text.contains("http://x/r?token=a&b"));
        assert!(page.contains("href=\"http://x/r?token=a&amp;b\""));
        let t = Template::Announcement {
            subject: "<b>".into(),
            body: "<script>".into(),
        };
        assert!(!t.render().2.contains("<script>"));
    }
}
