//! The ML-Dataset extension's vocabulary (EOTDL's "Q2" metadata) and the
//! ml-aoi split names. Enums make values outside the schema's lists
//! unrepresentable.

use serde::Serialize;

use crate::error::{Error, Result, Setting};

/// The ML-Dataset extension identifier (unversioned, as EOTDL writes it).
pub const ML_DATASET_EXTENSION: &str =
    "https://raw.githubusercontent.com/earthpulse/ml-dataset/main/json-schema/schema.json";
/// The ml-aoi extension identifier.
pub const ML_AOI_EXTENSION: &str = "https://stac-extensions.github.io/ml-aoi/v0.2.0/schema.json";

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $setting:expr, { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in the schema's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the schema spells it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the schema's spelling (case-insensitive; `-` or `_` may stand for a space).
            pub fn parse(text: &str) -> Result<Self> {
                let wanted = text.trim().to_lowercase().replace(['-', '_'], " ");
                Self::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    let allowed: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    Error::setting($setting, format!(": {text:?} is not one of: {}", allowed.join(", ")))
                })
            }
        }
    };
}

vocabulary!(
    /// `ml-dataset:tasks` values.
    Task, Setting::Tasks, {
        /// One class per sample.
        ImageClassification => "image classification",
        /// Boxes around objects.
        ObjectDetection => "object detection",
        /// A class per pixel or per shape.
        Segmentation => "segmentation",
    }
);

vocabulary!(
    /// `ml-dataset:inputs-type` values.
    InputType, Setting::InputsType, {
        /// Text.
        Text => "text",
        /// Ordinary images.
        Image => "image",
        /// Satellite imagery.
        SatelliteImagery => "satellite imagery",
        /// Video.
        Video => "video",
    }
);

vocabulary!(
    /// `ml-dataset:annotations-type` values.
    AnnotationsType, Setting::AnnotationsType, {
        /// Raster masks.
        Raster => "raster",
        /// Vector shapes.
        Vector => "vector",
    }
);

vocabulary!(
    /// `ml-dataset:type` values.
    DatasetType, Setting::DatasetType, {
        /// Training data.
        Training => "training",
        /// Test data.
        Test => "test",
        /// Validation data.
        Validation => "validation",
        /// Reference data.
        Reference => "reference",
        /// A benchmark.
        Benchmark => "benchmark",
        /// Legacy data.
        Legacy => "legacy",
    }
);

/// The root catalog's ML-Dataset fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// `ml-dataset:name`.
    pub name: String,
    /// `ml-dataset:tasks`.
    pub tasks: Vec<Task>,
    /// `ml-dataset:inputs-type`.
    pub inputs_type: Vec<InputType>,
    /// `ml-dataset:annotations-type`.
    pub annotations_type: AnnotationsType,
    /// `ml-dataset:version`.
    pub version: String,
    /// `ml-dataset:type`, optional.
    pub dataset_type: Option<DatasetType>,
}

/// The ml-aoi spelling of a split name (`train`, `validate`, `test`).
pub fn ml_aoi_split(name: &str) -> Result<&'static str> {
    let lower = name.to_lowercase();
    if lower.starts_with("train") {
        Ok("train")
    } else if lower.starts_with("val") {
        Ok("validate")
    } else if lower.starts_with("test") {
        Ok("test")
    } else {
        Err(Error::NoMlAoiSplit { name: name.to_string() })
    }
}

pub(crate) fn add_extension(json: &mut serde_json::Map<String, serde_json::Value>, id: &str) {
    use serde_json::Value;
    let list = json.entry("stac_extensions").or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    let list = list.as_array_mut().expect("made an array above");
    if !list.iter().any(|v| v.as_str() == Some(id)) {
        list.push(Value::String(id.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_schema_spellings() {
        assert_eq!(Task::parse("image-classification").unwrap(), Task::ImageClassification);
        assert_eq!(InputType::parse("Satellite Imagery").unwrap(), InputType::SatelliteImagery);
        let err = AnnotationsType::parse("polygons").unwrap_err().to_string();
        assert_eq!(err, "annotations_type: \"polygons\" is not one of: raster, vector");
        assert_eq!(ml_aoi_split("Validation").unwrap(), "validate");
        assert!(ml_aoi_split("holdout").is_err());
    }
}
