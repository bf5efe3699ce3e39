use super::*;

const TRAFFIC: &[&str] = &[
    "公交车班次太少，早上等车要半个小时",
    "路口红绿灯时间太短，行人过马路很危险",
    "建议增开一条公交线路到火车站",
    "小区门口道路坑洼不平，车辆通行困难",
    "高峰期这个路口堵车严重，希望增加交警疏导",
    "出租车拒载绕路，司机态度恶劣",
    "公交站台没有遮雨棚，等车淋雨",
    "马路上的红绿灯坏了好几天没人修",
    "地铁站出口离公交站太远，换乘不方便",
    "货车超载上路，压坏了乡村道路",
];
const SCHOOL: &[&str] = &[
    "学校乱收补课费，家长负担很重",
    "幼儿园收费太高，希望多建公办幼儿园",
    "孩子上学路远，学校没有校车",
    "老师在课堂上体罚学生",
    "小学入学划片不合理，孩子不能就近入学",
    "学校食堂饭菜质量差，学生吃不饱",
    "中学教师工资拖欠三个月",
    "培训机构退费难，家长交的学费拿不回来",
    "学生作业太多，每天写到半夜",
    "希望学校延长课后服务时间，方便家长接孩子",
];
const ENVIRONMENT: &[&str] = &[
    "工厂夜间排放废气，气味刺鼻",
    "河里漂满垃圾，河水发黑发臭",
    "工地夜间施工噪音扰民，影响休息",
    "养猪场污水直排进河道，污染严重",
    "小区旁边的垃圾站臭气熏天",
    "化工厂排污导致鱼塘的鱼大量死亡",
    "烧烤店油烟污染，楼上住户不敢开窗",
    "砂石场粉尘污染，周边庄稼落满灰尘",
    "垃圾焚烧厂选址离居民区太近",
    "企业偷排废水，河道污染",
];

fn examples() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for i in 0..10 {
        out.push((TRAFFIC[i], "交通运输"));
        out.push((SCHOOL[i], "教育文体"));
        out.push((ENVIRONMENT[i], "环境保护"));
    }
    out
}

fn small() -> TrainOptions {
    TrainOptions { features: FeatureOptions { min_df: 1, ..FeatureOptions::default() }, ..TrainOptions::default() }
}

#[test]
fn learns_three_classes() {
    let model = Model::train_with(&examples(), &small());
    assert!(model.is_useful());
    assert_eq!(model.labels(), ["交通运输", "教育文体", "环境保护"]);
    assert_eq!(model.label_counts(), [10, 10, 10]);
    for (text, want) in [
        ("公交车太少，等车时间太长", "交通运输"),
        ("学校收费不合理，家长意见大", "教育文体"),
        ("化工厂排放污水，河道污染", "环境保护"),
    ] {
        let ranked = model.predict(text);
        assert_eq!(ranked.len(), 3);
        assert_eq!(ranked[0].0, want, "{text}: {ranked:?}");
        assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1));
        assert!(ranked.iter().all(|(_, s)| (0.0..=1.0).contains(s)));
        assert!((ranked.iter().map(|(_, s)| s).sum::<f32>() - 1.0).abs() < 1e-4);
    }
    // A text with no known word gets no suggestion.
    assert!(model.predict("？？？").is_empty());
    // The naive Bayes baseline learns the same toy set.
    let nb = TrainOptions { learner: Learner::NaiveBayes { alpha: 0.1 }, ..small() };
    let nb = Model::train_with(&examples(), &nb);
    assert_eq!(nb.predict("工厂排污")[0].0, "环境保护");
}

#[test]
fn training_is_deterministic() {
    let a = Model::train_with(&examples(), &small());
    let b = Model::train_with(&examples(), &small());
    assert_eq!(a.weights.w, b.weights.w);
    assert_eq!(a.weights.bias, b.weights.bias);
    assert_eq!(a.predict("路口堵车"), b.predict("路口堵车"));
    assert!(a.approx_bytes() > 0 && a.features() > 50);
}

#[test]
fn too_little_to_go_on() {
    let few: Vec<(&str, &str)> = examples().into_iter().take(12).collect();
    assert!(!Model::train(&few).is_useful());
    let one_label: Vec<(&str, &str)> = TRAFFIC.iter().chain(TRAFFIC).chain(TRAFFIC).map(|t| (*t, "交通运输")).collect();
    let model = Model::train(&one_label);
    assert!(!model.is_useful());
    assert!(model.predict("公交车").is_empty());
    assert!(Model::train(&[]).predict("公交车").is_empty());
}
