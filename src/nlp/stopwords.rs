//! Built-in word lists. Short on purpose: function words that carry no topic, the
//! courtesies every letter to an organ contains, and the single characters that do.

/// Function words, pronouns and particles: dropped before classification and keyword
/// extraction, kept for search.
#[rustfmt::skip]
const STOPWORDS: &[&str] = &[
    "的", "了", "着", "过", "和", "与", "及", "以及", "或", "或者", "而", "而且", "并", "并且", "是", "在", "有", "也",
    "都", "就", "还", "又", "再", "才", "很", "太", "更", "最", "被", "把", "让", "给", "从", "对", "向", "往", "于",
    "以", "为", "为了", "因", "因为", "所以", "但", "但是", "可是", "如果", "虽然", "即使", "而是", "不过", "然后",
    "之", "其", "此", "该", "这", "那", "这个", "那个", "这些", "那些", "这样", "那样", "这里", "那里", "哪", "哪里",
    "什么", "怎么", "怎样", "如何", "为何", "为什么", "吗", "呢", "吧", "啊", "呀", "哦", "嗯", "么", "嘛", "啦",
    "我", "你", "您", "他", "她", "它", "我们", "你们", "他们", "她们", "它们", "咱们", "自己", "大家", "人家", "一个",
    "一些", "一下", "一直", "已经", "曾经", "正在", "将", "将要", "会", "能", "能够", "可以", "可能", "应该", "要",
    "想", "得", "地", "等", "等等", "个", "些", "每", "各", "某", "本", "上", "下", "中", "里", "后", "前", "时",
    "时候", "如", "比如", "例如", "即", "则", "却", "且", "只", "只是", "只有", "没", "没有", "不", "不是", "非常",
    "十分", "特别", "比较", "其他", "其它", "另外", "还有", "关于", "对于", "由于", "通过", "根据", "按照", "到",
];

/// Courtesies and words that every message to an organ contains: no use as a keyword or a
/// hot word, though harmless (and kept) for classification and search.
#[rustfmt::skip]
const GENERIC: &[&str] = &[
    "您好", "你好", "尊敬", "领导", "谢谢", "感谢", "非常感谢", "希望", "请问", "请", "问题", "反映", "相关", "部门",
    "有关", "情况", "现在", "目前", "今天", "现象", "事情", "一下", "工作", "进行", "存在", "要求", "建议", "回复",
    "解决", "处理", "市民", "网友", "群众", "老百姓", "本人", "我家", "知道", "觉得", "认为", "看到", "出现", "造成",
    "导致", "严重", "多次", "一年", "两年", "几年", "一天", "每天", "今年", "去年", "年", "月", "日", "号", "元",
    "是否", "能否", "这种", "那种", "需要", "请求", "时间", "还是", "不能", "不要", "应当", "必须", "其中", "之后",
    "之前", "以后", "以前", "甚至", "一样", "一次", "起来", "出来", "为止", "目的", "方面", "方式",
    // Adverbs and modal words: how often, how much, what one can do — never what a message is about.
    "经常", "常常", "总是", "老是", "往往", "时常", "只能", "只好", "不得不", "一定", "必然", "确实", "真的", "实在",
    "简直", "完全", "根本", "仍然", "依然", "仍", "越来越", "不断", "到处", "随时", "马上", "尽快", "及时", "立即",
    "还要", "很多", "许多", "不少", "好几", "几个", "好几个", "所有", "全部", "一起", "有人", "没人", "不到", "不了",
    // Where, said without a name (the names themselves are the installation's lexicon).
    "村里", "镇上", "城里", "周边", "附近", "旁边", "门口", "当地", "这边", "那边", "办理", "一家",
];

/// Single characters that name a thing people write about (水, 电, 路 …); every other
/// one-character word is left out of keywords and hot words.
#[rustfmt::skip]
const MEANINGFUL_SINGLE: &[&str] = &[
    "水", "电", "气", "路", "桥", "房", "楼", "树", "车", "油", "煤", "粮", "税", "药", "灯", "河", "湖", "山", "田",
    "地", "网", "狗", "猫", "猪", "鱼", "菜", "米", "肉", "蛋", "奶", "烟", "酒", "火", "雨", "雪", "风", "土",
];

/// True for a word on the stopword list.
pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// True for a word to leave out of keywords and hot words: a stopword, a courtesy, a
/// number, a single Latin letter, or a one-character word that names nothing.
pub(crate) fn is_uninformative(word: &str) -> bool {
    let mut chars = word.chars();
    let single = chars.next().is_some() && chars.next().is_none();
    is_stopword(word)
        || GENERIC.contains(&word)
        || word.chars().all(|c| c.is_numeric())
        || (single && !MEANINGFUL_SINGLE.contains(&word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_classify_words() {
        assert!(is_stopword("的") && !is_stopword("路灯"));
        assert!(is_uninformative("您好") && is_uninformative("2019") && is_uninformative("个"));
        assert!(!is_uninformative("水") && !is_uninformative("物业"));
        // Function words a complaint is full of are not what it is about.
        assert!(is_uninformative("只能") && is_uninformative("经常"));
    }
}
