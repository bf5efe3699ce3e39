//! The words a text is about, and the words many texts share (热词).
//!
//! Keyword weight is TF-IDF with the IDF read from jieba's dictionary frequencies: a word
//! common in general Chinese (问题, 时间) weighs little, a rare one (噪音, 拖欠) much. Words the
//! dictionary does not know (names, new words) get the weight of a mid-rare word.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::segment;
use super::stopwords::is_uninformative;

/// Dictionary frequency given to a word jieba does not know.
const UNKNOWN_FREQ: usize = 20;

/// The frequency of 的, the commonest word: IDF is measured against it, so it does not
/// depend on the dictionary's total.
static REFERENCE: LazyLock<f32> = LazyLock::new(|| segment::jieba().suggest_freq("的").max(1) as f32);

fn idf(word: &str) -> f32 {
    let jieba = segment::jieba();
    let freq = if jieba.has_word(word) { jieba.suggest_freq(word).max(1) } else { UNKNOWN_FREQ };
    (1.0 + *REFERENCE / freq as f32).ln()
}

/// The `n` words that best characterise the text, best first, with their TF-IDF weight
/// (term frequency relative to the text's length). Stopwords, courtesies, numbers and
/// one-character words that name nothing are left out.
pub fn keywords(text: &str, n: usize) -> Vec<(String, f32)> {
    let words: Vec<String> = segment::tokens(text).into_iter().filter(|w| !is_uninformative(w)).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut tf: HashMap<&str, usize> = HashMap::new();
    for w in &words {
        *tf.entry(w).or_insert(0) += 1;
    }
    let total = words.len() as f32;
    let mut out: Vec<(String, f32)> = tf.into_iter().map(|(w, c)| (w.to_owned(), c as f32 / total * idf(w))).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(n);
    out
}

/// The `n` words found in the most texts, with the number of texts each is in (a text
/// counts once however often it repeats a word), most common first, ties by word.
/// Left out as in [`keywords`]. The texts are segmented on every core the machine has
/// (one share each, counts merged), so the answer does not depend on the number of cores.
pub fn hot_words<S: AsRef<str> + Sync>(texts: &[S], n: usize) -> Vec<(String, usize)> {
    hot_words_in(&segment::Lexicon::default(), texts, n)
}

/// [`hot_words`], the lexicon's names (the installation's places, stations, units) kept whole.
pub fn hot_words_in<S: AsRef<str> + Sync>(lexicon: &segment::Lexicon, texts: &[S], n: usize) -> Vec<(String, usize)> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 16);
    // Small inputs are not worth a thread.
    let share = texts.len().div_ceil(threads).max(2_000);
    let count = |part: &[S]| {
        let mut df: HashMap<String, usize> = HashMap::new();
        for text in part {
            for w in text_words(lexicon, text.as_ref()) {
                *df.entry(w).or_insert(0) += 1;
            }
        }
        df
    };
    let mut parts: Vec<HashMap<String, usize>> = if texts.len() <= share {
        vec![count(texts)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = texts.chunks(share).map(|part| scope.spawn(move || count(part))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        })
    };
    let mut df = parts.pop().unwrap_or_default();
    for part in parts {
        for (w, c) in part {
            *df.entry(w).or_insert(0) += c;
        }
    }
    rank(df, n)
}

/// The `n` commonest of `df`, most common first, ties by word.
pub fn rank<W: Into<String>>(df: impl IntoIterator<Item = (W, usize)>, n: usize) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = df.into_iter().map(|(w, c)| (w.into(), c)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out.truncate(n);
    out
}

/// The words of one text that [`hot_words_in`] counts: segmented with the lexicon's names kept
/// whole, the uninformative ones left out, each once, sorted. What intake stores
/// (`opinions.words`, joined by [`STORED_SEPARATOR`]) so that hot words never segment again.
pub fn text_words(lexicon: &segment::Lexicon, text: &str) -> Vec<String> {
    let mut words = segment::tokens_in(lexicon, text);
    words.retain(|w| !is_uninformative(w));
    words.sort_unstable();
    words.dedup();
    words
}

/// Between the stored words of a text (a word is a run of letters and digits: never a space).
pub const STORED_SEPARATOR: char = ' ';

/// [`text_words`] as stored.
pub fn stored_words(lexicon: &segment::Lexicon, text: &str) -> String {
    text_words(lexicon, text).join(" ")
}

/// [`hot_words_in`] from stored words ([`stored_words`] of each text): the same answer, no
/// segmentation.
pub fn hot_words_stored<S: AsRef<str>>(stored: impl IntoIterator<Item = S>, n: usize) -> Vec<(String, usize)> {
    let mut df: HashMap<String, usize> = HashMap::new();
    for s in stored {
        for w in s.as_ref().split(STORED_SEPARATOR).filter(|w| !w.is_empty()) {
            match df.get_mut(w) {
                Some(c) => *c += 1,
                None => {
                    df.insert(w.to_owned(), 1);
                }
            }
        }
    }
    rank(df, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_the_rare_words_of_the_text() {
        let text = "尊敬的领导您好！我们小区楼下的烧烤店每天晚上营业到凌晨三点，油烟和噪音严重扰民，\
            烧烤店老板态度恶劣，多次反映没有结果，希望相关部门管一管烧烤店的油烟和噪音。";
        let kw: Vec<String> = keywords(text, 5).into_iter().map(|(w, _)| w).collect();
        assert_eq!(kw.len(), 5);
        assert_eq!(kw[0], "烧烤店", "{kw:?}");
        assert!(kw.contains(&"油烟".to_owned()) && kw.contains(&"噪音".to_owned()), "{kw:?}");
        for generic in ["领导", "您好", "反映", "希望", "的", "我们"] {
            assert!(!kw.iter().any(|w| w == generic), "{generic} in {kw:?}");
        }
        assert!(keywords("，。！", 5).is_empty());
        assert!(keywords("的了吗", 5).is_empty());
    }

    #[test]
    fn hot_words_in_shares_count_as_one_pass_does() {
        let topics = [
            "小区停车费太贵，物业乱收停车费",
            "学校门口车辆乱停，孩子过马路危险",
            "企业拖欠工资三个月",
            "河道污水直排",
        ];
        let texts: Vec<String> =
            (0..9_001).map(|i| format!("{}，第{}次反映。{}", topics[i % 4], i, topics[(i / 7) % 4])).collect();
        // One pass by hand, the reference.
        let mut df: HashMap<String, usize> = HashMap::new();
        for t in &texts {
            let mut w = segment::tokens(t);
            w.retain(|w| !is_uninformative(w));
            w.sort_unstable();
            w.dedup();
            for w in w {
                *df.entry(w).or_insert(0) += 1;
            }
        }
        let mut expected: Vec<(String, usize)> = df.into_iter().collect();
        expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        expected.truncate(20);
        assert_eq!(hot_words(&texts, 20), expected);
    }

    #[test]
    fn stored_words_count_as_segmenting_on_the_question_does() {
        let lexicon = segment::Lexicon::new(["百尺河镇", "龙都街道", "诸城市人民代表大会常务委员会"]);
        let topics = [
            "百尺河镇小区停车费太贵，物业乱收停车费",
            "龙都街道学校门口车辆乱停，孩子过马路危险，希望相关部门管一管",
            "企业拖欠工资三个月，诸城市人民代表大会常务委员会",
            "河道污水直排，您好，谢谢！",
            "，。！",
        ];
        let texts: Vec<String> =
            (0..500).map(|i| format!("{} 第{}次反映。{}", topics[i % 5], i % 13, topics[(i / 7) % 5])).collect();
        let stored: Vec<String> = texts.iter().map(|t| stored_words(&lexicon, t)).collect();
        assert!(stored.iter().all(|s| !s.contains("  ") && !s.starts_with(' ')), "{stored:?}");
        assert_eq!(hot_words_stored(&stored, 200), hot_words_in(&lexicon, &texts, 200));
        assert_eq!(hot_words_stored(&stored, 5), hot_words_in(&lexicon, &texts, 5));
        assert!(hot_words_stored(&stored, 200).iter().any(|(w, _)| w == "百尺河镇"));
    }

    #[test]
    fn hot_words_count_texts() {
        let texts = [
            "小区停车费太贵，物业乱收停车费",
            "物业不作为，小区垃圾没人清理",
            "停车位被占用，物业不管",
            "学校门口交通拥堵",
            "您好，领导，谢谢！",
        ];
        let hot = hot_words(&texts, 3);
        assert_eq!(hot[0], ("物业".to_owned(), 3));
        assert_eq!(hot[1], ("小区".to_owned(), 2));
        assert_eq!(hot.len(), 3);
        assert!(hot_words(&["您好，领导，谢谢！"], 5).is_empty());
        let all = hot_words(&texts, 100);
        // 停车费 appears twice in one text: counted once.
        assert!(all.contains(&("停车费".to_owned(), 1)), "{all:?}");
        assert!(all.iter().all(|(w, _)| w.chars().count() > 1 || w == "水"), "{all:?}");
    }
}
