"""The one typed settings object: `load_settings()` once at start-up, then pass `Settings` along."""

from entrypoints.config.catalogue import SettingInfo, settings_catalogue
from entrypoints.config.errors import SettingsError
from entrypoints.config.fields import (
    AppEnv,
    CacheProvider,
    EmailProvider,
    JwtAlgorithm,
    LogFormat,
    LogLevel,
    Profile,
)
from entrypoints.config.loading import load_settings
from entrypoints.config.render import render_catalogue_markdown, render_settings
from entrypoints.config.sections import (
    AppSettings,
    CacheSettings,
    CorsSettings,
    DatabaseSettings,
    EmailSettings,
    JwtSettings,
    LoggingSettings,
    RateLimitSettings,
    SecuritySettings,
    Settings,
    WhatsAppSettings,
)

__all__ = [
    "AppEnv",
    "AppSettings",
    "CacheProvider",
    "CacheSettings",
    "CorsSettings",
    "DatabaseSettings",
    "EmailProvider",
    "EmailSettings",
    "JwtAlgorithm",
    "JwtSettings",
    "LogFormat",
    "LogLevel",
    "LoggingSettings",
    "Profile",
    "RateLimitSettings",
    "SecuritySettings",
    "SettingInfo",
    "Settings",
    "SettingsError",
    "WhatsAppSettings",
    "load_settings",
    "render_catalogue_markdown",
    "render_settings",
    "settings_catalogue",
]
