"""Tabular benchmarks: conversion of the official files and fast lookups."""
