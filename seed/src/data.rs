//! The words the seed builds Chenghua from: places from the article and the district, and
//! Chinese names and descriptions for each kind of service.

use linli_domain::directory::CommunityType;

/// (community, street, type). The first five are the article's examples of each type.
pub const COMMUNITIES: &[(&str, &str, CommunityType)] = &[
    (
        "和美社区",
        "猛追湾街道",
        CommunityType::NewCommercialResidential,
    ),
    ("下涧槽社区", "猛追湾街道", CommunityType::SoeLivingArea),
    ("新鸿社区", "府青路街道", CommunityType::OldCommunity),
    ("致强社区", "双水碾街道", CommunityType::Resettlement),
    ("杉板桥社区", "双桥子街道", CommunityType::Industrial),
    ("水碾河路北社区", "双桥子街道", CommunityType::OldCommunity),
    ("横桥社区", "府青路街道", CommunityType::OldCommunity),
    (
        "桃源社区",
        "双水碾街道",
        CommunityType::NewCommercialResidential,
    ),
    ("建设路社区", "猛追湾街道", CommunityType::SoeLivingArea),
    ("二仙桥社区", "二仙桥街道", CommunityType::Industrial),
    ("跳蹬河社区", "跳蹬河街道", CommunityType::Resettlement),
    (
        "万年场社区",
        "万年场街道",
        CommunityType::NewCommercialResidential,
    ),
    ("保和社区", "保和街道", CommunityType::Resettlement),
    ("青龙社区", "青龙街道", CommunityType::Resettlement),
    ("龙潭社区", "龙潭街道", CommunityType::Industrial),
    ("白莲池社区", "白莲池街道", CommunityType::OldCommunity),
    ("府青社区", "府青路街道", CommunityType::OldCommunity),
    (
        "猛追湾社区",
        "猛追湾街道",
        CommunityType::NewCommercialResidential,
    ),
    ("双桥子社区", "双桥子街道", CommunityType::SoeLivingArea),
    (
        "东虹路社区",
        "万年场街道",
        CommunityType::NewCommercialResidential,
    ),
    ("李家沱社区", "猛追湾街道", CommunityType::OldCommunity),
    (
        "天鹅社区",
        "青龙街道",
        CommunityType::NewCommercialResidential,
    ),
    ("北湖社区", "龙潭街道", CommunityType::Industrial),
    ("圣灯社区", "圣灯街道", CommunityType::Resettlement),
    ("东林社区", "万年场街道", CommunityType::SoeLivingArea),
    ("驷马桥社区", "府青路街道", CommunityType::OldCommunity),
    ("华林社区", "二仙桥街道", CommunityType::SoeLivingArea),
    ("站北社区", "府青路街道", CommunityType::OldCommunity),
    ("八里庄社区", "双桥子街道", CommunityType::Industrial),
    ("昭觉社区", "青龙街道", CommunityType::Resettlement),
];

/// A kind of service: (category id, organisation word, product titles, a description).
pub type Service = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
);

/// Per service category, the first being the demo organiser's.
pub const SERVICES: &[Service] = &[
    (
        "elder-day-care",
        "颐养",
        &["长者日间照料", "助老陪伴服务", "失能老人康复训练"],
        "为社区老年人提供日间照料、康复训练和陪伴聊天，子女上班更安心。",
    ),
    (
        "home-visits",
        "邻里守望",
        &["独居老人上门探访", "高龄老人电话问安", "助老上门巡访"],
        "志愿者定期上门探访独居和高龄老人，检查水电燃气安全。",
    ),
    (
        "elder-health",
        "健康小屋",
        &["免费测血压血糖", "用药安全咨询", "慢病管理讲座"],
        "药师和社区医生坐诊，为老人测血压血糖、讲解用药，建立健康档案。",
    ),
    (
        "elder-canteen",
        "长者食堂",
        &["长者食堂爱心午餐", "老年人助餐服务", "社区营养早餐"],
        "长者食堂每天供应两荤两素，八十岁以上老人享受助餐补贴。",
    ),
    (
        "meal-delivery",
        "暖心送餐",
        &["助餐送餐上门", "病后营养餐配送"],
        "行动不便的老人可预约送餐上门，志愿者骑手准时送达。",
    ),
    (
        "nursery",
        "童乐",
        &["社区托幼托育班", "婴幼儿早教托育", "周末亲子托管"],
        "为三岁以下婴幼儿提供托育服务，家长安心上班。",
    ),
    (
        "after-school",
        "四点半课堂",
        &["四点半课后托管", "寒暑假少儿托管"],
        "放学后到家长下班前，孩子在社区完成作业、参加兴趣活动。",
    ),
    (
        "pet-boarding",
        "云寄养",
        &["云寄养宠物之家", "邻里宠物互助寄养"],
        "出差旅行时把宠物交给邻居照看，可视频查看宠物状态。",
    ),
    (
        "pet-walking",
        "萌宠",
        &["代遛宠物服务", "文明养犬课堂"],
        "志愿者帮忙遛狗，同时宣传文明养犬。",
    ),
    (
        "appliance-repair",
        "便民维修",
        &["家电维修便民点", "小家电免费检修", "空调清洗保养"],
        "空调冰箱洗衣机上门维修，收费透明，老人免上门费。",
    ),
    (
        "home-repair",
        "安居",
        &["老旧院落房屋修缮", "水电维修上门", "适老化改造"],
        "为老旧院落提供水电维修和适老化改造，扶手防滑一站搞定。",
    ),
    (
        "elder-haircut",
        "银发理发",
        &["长者理发日", "爱心义剪"],
        "每月一次，理发师志愿者为长者免费理发。",
    ),
    (
        "home-haircut",
        "上门理发",
        &["上门理发服务", "卧床老人理发"],
        "为卧床和行动不便的老人上门理发。",
    ),
    (
        "performance",
        "文艺",
        &["社区文艺汇演", "川剧票友之夜", "坝坝电影"],
        "社区文艺队定期演出，居民自编自演。",
    ),
    (
        "fitness",
        "全民健身",
        &["广场健身操", "太极拳晨练", "社区篮球赛"],
        "广场健身操和太极拳教学，强身健体，结识邻里。",
    ),
    (
        "community-classes",
        "社区学堂",
        &["智能手机课堂", "老年大学书法班", "垃圾分类知识课"],
        "教老年人用智能手机挂号、支付、视频通话。",
    ),
    (
        "youth-tutoring",
        "青苗",
        &["青少年学业辅导", "大学生志愿家教"],
        "大学生志愿者为社区孩子提供学业辅导。",
    ),
    (
        "job-matching",
        "就业驿站",
        &["家门口就业对接", "零工市场信息"],
        "收集辖区企业用工需求，为居民推荐家门口的岗位。",
    ),
    (
        "skills-training",
        "技能",
        &["家政技能培训", "电商直播培训", "育婴师培训"],
        "免费技能培训，结业推荐就业。",
    ),
    (
        "legal-consultation",
        "法律",
        &["社区法律咨询", "律师坐班服务"],
        "律师每周坐班，提供免费法律咨询和法律援助转介。",
    ),
    (
        "mediation",
        "和事佬",
        &["邻里纠纷调解", "物业矛盾调处"],
        "调解员上门调处邻里纠纷和物业矛盾。",
    ),
    (
        "counselling",
        "心灵驿站",
        &["心理咨询服务", "青少年心理疏导"],
        "心理咨询师为居民提供一对一心理疏导。",
    ),
    (
        "support-groups",
        "同伴",
        &["新手父母互助小组", "照护者减压小组"],
        "同伴互助小组，分享经验，彼此支持。",
    ),
    (
        "waste-sorting",
        "绿色家园",
        &["垃圾分类指导", "旧衣回收"],
        "志愿者在投放点指导垃圾分类，积分可兑换生活用品。",
    ),
    (
        "greening",
        "花园",
        &["社区微花园共建", "阳台种菜课堂"],
        "居民共建社区微花园，把边角地变成小花园。",
    ),
    (
        "courtyard-council",
        "院落议事",
        &["爱邻议事日", "院落议事会"],
        "每月二十日爱邻议事日，居民共商院落大小事。",
    ),
    (
        "public-hearing",
        "民主协商",
        &["小区改造民主听证", "信托制物业预算公开会"],
        "小区改造方案、物业预算公开听证，居民投票决定。",
    ),
    (
        "volunteering",
        "志愿服务",
        &["志愿者招募与培训", "邻里互助时间银行"],
        "招募培训社区志愿者，服务时长永久记录。",
    ),
    (
        "charity",
        "公益",
        &["社区微心愿", "爱心义卖"],
        "收集困难家庭微心愿，链接爱心企业认领。",
    ),
];

pub const ORGANISATION_SUFFIXES: &[&str] = &[
    "社会工作服务中心",
    "志愿服务队",
    "公益发展中心",
    "社区服务中心",
    "互助会",
    "服务社",
];

/// A kind of shop: (shop word, business category, rewards with points prices).
pub type Shop = (&'static str, &'static str, &'static [(&'static str, i64)]);

/// Merchants of the alliance.
pub const MERCHANTS: &[Shop] = &[
    (
        "理发店",
        "elder-haircut",
        &[("长者理发一次", 30), ("洗剪吹套餐", 50)],
    ),
    (
        "长者食堂",
        "elder-canteen",
        &[("爱心午餐一份", 15), ("营养早餐券", 8)],
    ),
    (
        "家电维修部",
        "appliance-repair",
        &[("上门检修一次", 40), ("空调清洗八折券", 60)],
    ),
    (
        "便利店",
        "charity",
        &[("大米五斤", 50), ("食用油一桶", 80), ("洗衣液一瓶", 25)],
    ),
    (
        "药房",
        "elder-health",
        &[("血压测量及健康咨询", 10), ("常用药品包", 45)],
    ),
    (
        "书店",
        "community-classes",
        &[("图书借阅卡一月", 20), ("少儿绘本一本", 35)],
    ),
    (
        "茶馆",
        "performance",
        &[("盖碗茶一杯", 12), ("川剧折子戏门票", 40)],
    ),
    (
        "五金店",
        "home-repair",
        &[("水龙头更换一次", 30), ("防滑扶手安装券", 60)],
    ),
];

/// Volunteering an organisation of the category runs: (category, title). An organisation
/// whose category has none here asks for volunteers for its own service.
pub const ACTIVITY_TITLES: &[(&str, &str)] = &[
    ("elder-day-care", "日间照料中心陪伴聊天"),
    ("elder-health", "健康小屋测血压志愿服务"),
    ("meal-delivery", "爱心送餐骑手"),
    ("nursery", "托育中心亲子活动助理"),
    ("home-visits", "高龄老人电话问安"),
    ("elder-canteen", "长者食堂助餐引导"),
    ("home-visits", "独居老人上门探访"),
    ("elder-canteen", "长者食堂帮厨"),
    ("waste-sorting", "垃圾分类桶边督导"),
    ("greening", "社区微花园共建日"),
    ("community-classes", "智能手机教学志愿者"),
    ("courtyard-council", "爱邻议事日会务"),
    ("after-school", "四点半课堂陪伴"),
    ("fitness", "社区运动会志愿服务"),
    ("mediation", "邻里纠纷调解协助"),
    ("volunteering", "文明交通劝导"),
];

/// Self-governance groups: (name word, category). 遛弯公社 and the 街坊志愿服务专委会 are the
/// article's own examples.
pub const GROUPS: &[(&str, &str)] = &[
    ("遛弯公社", "fitness"),
    ("街坊志愿服务专委会", "volunteering"),
    ("银龄互助队", "home-visits"),
    ("暖心送餐队", "meal-delivery"),
    ("楼栋议事会", "courtyard-council"),
    ("院落花园组", "greening"),
    ("亲子共读会", "community-classes"),
    ("文明养犬小组", "pet-walking"),
    ("垃圾分类督导队", "waste-sorting"),
    ("邻里调解小组", "mediation"),
];
